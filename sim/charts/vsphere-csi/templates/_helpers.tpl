{{/* Labels every object of the chart carries. */}}
{{- define "vsphere-csi.labels" -}}
app.kubernetes.io/name: vsphere-csi
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vsphere-csi
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* ini quotes a value for the gcfg (INI) syntax of csi-vsphere.conf. */}}
{{- define "vsphere-csi.ini" -}}
{{- $s := toString . -}}
{{- if or (contains "\n" $s) (contains "\r" $s) -}}
{{- fail "csi-vsphere.conf values must not contain line breaks" -}}
{{- end -}}
{{- printf "\"%s\"" ($s | replace "\\" "\\\\" | replace "\"" "\\\"") -}}
{{- end }}

{{/* datacenters is config.datacenters as a comma-separated string. */}}
{{- define "vsphere-csi.datacenters" -}}
{{- $dcs := .Values.config.datacenters -}}
{{- if kindIs "slice" $dcs -}}
{{- join "," $dcs -}}
{{- else -}}
{{- toString $dcs -}}
{{- end -}}
{{- end }}

{{/* conf is the content of csi-vsphere.conf. */}}
{{- define "vsphere-csi.conf" -}}
{{- $c := .Values.config -}}
{{- if gt (len (toString $c.clusterID)) 64 -}}
{{- fail "config.clusterID must be at most 64 characters" -}}
{{- end -}}
[Global]
cluster-id = {{ include "vsphere-csi.ini" $c.clusterID }}

[VirtualCenter {{ include "vsphere-csi.ini" $c.vcenter }}]
insecure-flag = {{ include "vsphere-csi.ini" $c.insecureFlag }}
user = {{ include "vsphere-csi.ini" $c.username }}
password = {{ include "vsphere-csi.ini" $c.password }}
port = {{ include "vsphere-csi.ini" $c.port }}
datacenters = {{ include "vsphere-csi.ini" (include "vsphere-csi.datacenters" .) }}
{{- with $c.thumbprint }}
thumbprint = {{ include "vsphere-csi.ini" . }}
{{- end }}
{{- with $c.caFile }}
ca-file = {{ include "vsphere-csi.ini" . }}
{{- end }}
{{- if .Values.snapshot.enabled }}

[Snapshot]
global-max-snapshots-per-block-volume = {{ .Values.snapshot.maxSnapshotsPerBlockVolume }}
{{- end }}
{{ end }}
