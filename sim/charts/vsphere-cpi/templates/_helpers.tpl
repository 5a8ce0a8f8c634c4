{{/* Labels every object of the chart carries. */}}
{{- define "vsphere-cpi.labels" -}}
app.kubernetes.io/name: vsphere-cpi
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: cloud-controller-manager
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* datacenters is config.datacenter as a list, from a list or a comma-separated string. */}}
{{- define "vsphere-cpi.datacenters" -}}
{{- $dcs := .Values.config.datacenter -}}
{{- if not (kindIs "slice" $dcs) -}}
{{- $dcs = splitList "," (toString $dcs) -}}
{{- end -}}
{{- range $dcs }}
{{- if trim . }}
- {{ trim . | quote }}
{{- end }}
{{- end }}
{{- end }}
