package clone

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// keepVolumes gives spec the volumes of vols that its containers mount and a
// clone may have, drops the mounts of all others, and explains each drop.
//
// Volumes only dropped containers used are left out without a word: nobody
// in the clone loses them, and a claim that is not attached cannot get stuck.
func keepVolumes(spec *corev1.PodSpec, vols []corev1.Volume, modes map[string][]corev1.PersistentVolumeAccessMode, withPVC bool) []string {
	containers := keptContainers(spec)
	used := map[string]bool{}
	for _, c := range containers {
		for _, m := range c.VolumeMounts {
			used[m.Name] = true
		}
		for _, d := range c.VolumeDevices {
			used[d.Name] = true
		}
	}

	var warnings []string
	defined := map[string]bool{}
	kept := map[string]bool{}
	for _, v := range vols {
		defined[v.Name] = true
		if !used[v.Name] {
			continue
		}
		at := mountsOf(containers, v.Name)
		switch {
		case v.PersistentVolumeClaim != nil:
			claim := v.PersistentVolumeClaim.ClaimName
			m, known := modes[claim]
			switch {
			case !withPVC:
				warnings = append(warnings, fmt.Sprintf(
					"not mounting volume %q (claim %q) at %s: pass --with-pvc to mount it read-only", v.Name, claim, at))
				continue
			case exclusive(m):
				warnings = append(warnings, fmt.Sprintf(
					"not mounting volume %q (claim %q) at %s even with --with-pvc: the claim is only %s, so the clone would wait for the workload's volume or take it away",
					v.Name, claim, at, joinModes(m)))
				continue
			case !known || len(m) == 0:
				warnings = append(warnings, fmt.Sprintf(
					"access modes of claim %q are unknown; mounting it anyway, but the clone will hang in ContainerCreating if it is ReadWriteOnce on another node",
					claim))
			}
			// Read-only twice over: on the volume so the attach itself is
			// read-only where the driver supports it, and on every mount so
			// the shell cannot write to live data either way.
			v.PersistentVolumeClaim.ReadOnly = true
			readOnlyMounts(containers, v.Name)
			warnings = append(warnings, fmt.Sprintf(
				"mounting volume %q (claim %q) read-only at %s: the shell sees the workload's live data", v.Name, claim, at))
		case isolated(v):
		default:
			warnings = append(warnings, fmt.Sprintf(
				"not mounting %s volume %q at %s: it could share state with the running workload", volumeKind(v), v.Name, at))
			continue
		}
		kept[v.Name] = true
		spec.Volumes = append(spec.Volumes, v)
	}

	var undefined []string
	for _, c := range containers {
		for _, m := range c.VolumeMounts {
			if !defined[m.Name] && !slices.Contains(undefined, m.Name) {
				undefined = append(undefined, m.Name)
			}
		}
	}
	for _, name := range undefined {
		warnings = append(warnings, fmt.Sprintf(
			"not mounting volume %q at %s: the pod template does not define it, as with a StatefulSet's per-replica volumeClaimTemplates",
			name, mountsOf(containers, name)))
	}

	for _, c := range containers {
		c.VolumeMounts = deleteFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return !kept[m.Name] })
		c.VolumeDevices = deleteFunc(c.VolumeDevices, func(d corev1.VolumeDevice) bool { return !kept[d.Name] })
	}
	return warnings
}

// isolated volumes are created anew for every pod from references or the
// image itself, so a clone can have them without sharing anything writable
// with the workload.
func isolated(v corev1.Volume) bool {
	s := v.VolumeSource
	return s.ConfigMap != nil || s.Secret != nil || s.Projected != nil || s.DownwardAPI != nil ||
		s.EmptyDir != nil || s.Image != nil
}

// exclusive reports claims that cannot be shared with the pods already using
// them. Unknown modes are not exclusive: the caller may not be allowed to read
// claims, and the warning about unknown modes covers that case.
func exclusive(modes []corev1.PersistentVolumeAccessMode) bool {
	return len(modes) > 0 && !slices.ContainsFunc(modes, func(m corev1.PersistentVolumeAccessMode) bool {
		return m == corev1.ReadOnlyMany || m == corev1.ReadWriteMany
	})
}

func joinModes(modes []corev1.PersistentVolumeAccessMode) string {
	s := make([]string, len(modes))
	for i, m := range modes {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}

func readOnlyMounts(containers []*corev1.Container, volume string) {
	for _, c := range containers {
		for i := range c.VolumeMounts {
			if c.VolumeMounts[i].Name == volume {
				c.VolumeMounts[i].ReadOnly = true
			}
		}
	}
}

// mountsOf names each place a volume appears as container:path, which is what
// a user needs to see to know what the shell will miss.
func mountsOf(containers []*corev1.Container, volume string) string {
	var at []string
	for _, c := range containers {
		for _, m := range c.VolumeMounts {
			if m.Name == volume {
				at = append(at, c.Name+":"+m.MountPath)
			}
		}
		for _, d := range c.VolumeDevices {
			if d.Name == volume {
				at = append(at, c.Name+":"+d.DevicePath)
			}
		}
	}
	return strings.Join(at, ", ")
}

// volumeKind names a volume's source as it is spelled in YAML. It reads the
// JSON tags so that source types added to the API later are named too.
func volumeKind(v corev1.Volume) string {
	rv := reflect.ValueOf(v.VolumeSource)
	for i := range rv.NumField() {
		if f := rv.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
			return name
		}
	}
	return "unknown"
}

// dropResourceClaims keeps dynamic resource allocation away from clones: a
// shared claim would hand the workload's devices to the shell, and a claim
// template would allocate a fresh device (often a GPU) for a session.
func dropResourceClaims(spec *corev1.PodSpec) []string {
	var names []string
	for _, c := range keptContainers(spec) {
		for _, rc := range c.Resources.Claims {
			if !slices.Contains(names, rc.Name) {
				names = append(names, rc.Name)
			}
		}
		c.Resources.Claims = nil
	}
	if spec.Resources != nil {
		spec.Resources.Claims = nil
	}
	if len(names) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("not allocating resource claims %s: a clone gets no devices through dynamic resource allocation", strings.Join(names, ", "))}
}

// podMetadataReaders warns about downward API references to labels and
// annotations, because the clone carries only eshell's own and such a value
// silently differs from what the app sees in production.
func podMetadataReaders(spec *corev1.PodSpec) []string {
	var warnings []string
	for _, c := range keptContainers(spec) {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && readsPodMetadata(e.ValueFrom.FieldRef.FieldPath) {
				warnings = append(warnings, fmt.Sprintf(
					"env %s of container %s reads %s, but the clone carries only eshell's labels and annotations",
					e.Name, c.Name, e.ValueFrom.FieldRef.FieldPath))
			}
		}
	}
	for _, v := range spec.Volumes {
		var files []corev1.DownwardAPIVolumeFile
		if v.DownwardAPI != nil {
			files = append(files, v.DownwardAPI.Items...)
		}
		if v.Projected != nil {
			for _, p := range v.Projected.Sources {
				if p.DownwardAPI != nil {
					files = append(files, p.DownwardAPI.Items...)
				}
			}
		}
		for _, f := range files {
			if f.FieldRef != nil && readsPodMetadata(f.FieldRef.FieldPath) {
				warnings = append(warnings, fmt.Sprintf(
					"file %s of volume %q reads %s, but the clone carries only eshell's labels and annotations",
					f.Path, v.Name, f.FieldRef.FieldPath))
			}
		}
	}
	return warnings
}

func readsPodMetadata(fieldPath string) bool {
	return strings.HasPrefix(fieldPath, "metadata.labels") || strings.HasPrefix(fieldPath, "metadata.annotations")
}
