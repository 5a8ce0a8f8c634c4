{{/* Labels every object of the chart carries. */}}
{{- define "antrea.labels" -}}
app: antrea
app.kubernetes.io/name: antrea
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: antrea
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* image renders "repository:tag", the tag defaulting to the appVersion. Call with (list $ .Values.xImage). */}}
{{- define "antrea.image" -}}
{{- $root := index . 0 -}}
{{- $img := index . 1 -}}
{{- printf "%s:%s" $img.repository (default $root.Chart.AppVersion $img.tag) -}}
{{- end }}

{{/* featureGates renders the featureGates block of the agent and controller configuration. */}}
{{- define "antrea.featureGates" -}}
{{- if .Values.featureGates -}}
featureGates:
{{- range $gate, $on := .Values.featureGates }}
  {{ $gate }}: {{ $on }}
{{- end }}
{{- else -}}
featureGates: {}
{{- end -}}
{{- end }}

{{/* mcNamespace is the namespace of this cluster's multi-cluster controller. */}}
{{- define "antrea.mcNamespace" -}}
{{- default .Release.Namespace .Values.multicluster.namespace -}}
{{- end }}

{{/* mcConfig is the MultiClusterConfig of the multi-cluster controllers. */}}
{{- define "antrea.mcConfig" -}}
apiVersion: multicluster.crd.antrea.io/v1alpha1
kind: MultiClusterConfig
health:
  healthProbeBindAddress: ":8080"
metrics:
  bindAddress: "0"
webhook:
  port: 9443
leaderElection:
  leaderElect: false
serviceCIDR: {{ .Values.multicluster.controller.serviceCIDR | quote }}
podCIDRs:
{{- range .Values.multicluster.controller.podCIDRs }}
  - {{ . | quote }}
{{- else }}
  - ""
{{- end }}
gatewayIPPrecedence: {{ .Values.multicluster.controller.gatewayIPPrecedence | quote }}
endpointIPType: {{ .Values.multicluster.controller.endpointIPType | quote }}
enableStretchedNetworkPolicy: {{ .Values.multicluster.enableStretchedNetworkPolicy }}
{{- end }}

{{/* mcRules are the rules over the multi-cluster CRDs a controller manages. */}}
{{- define "antrea.mcRules" -}}
- apiGroups: ["multicluster.crd.antrea.io"]
  resources: ["*"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["multicluster.x-k8s.io"]
  resources: ["serviceexports", "serviceexports/status", "serviceimports", "serviceimports/status"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: [""]
  resources: ["configmaps", "secrets", "events", "serviceaccounts"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
{{- end }}
