{{/* Labels every object of the chart carries. */}}
{{- define "ks-core.labels" -}}
app.kubernetes.io/name: ks-core
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kubesphere
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* image renders an image reference with global.imageRegistry and the tag. Call with (list $ "kubesphere/ks-apiserver"). */}}
{{- define "ks-core.image" -}}
{{- $root := index . 0 -}}
{{- $repo := index . 1 -}}
{{- $tag := default $root.Chart.AppVersion $root.Values.global.tag -}}
{{- printf "%s%s:%s" (include "ks-core.registryPrefix" $root) $repo $tag -}}
{{- end }}

{{/* registryPrefix is global.imageRegistry followed by a slash, or nothing. */}}
{{- define "ks-core.registryPrefix" -}}
{{- with .Values.global.imageRegistry -}}
{{- printf "%s/" (trimSuffix "/" .) -}}
{{- end -}}
{{- end }}

{{/* role is multicluster.role, validated. */}}
{{- define "ks-core.role" -}}
{{- $role := .Values.multicluster.role -}}
{{- if not (has $role (list "host" "member")) -}}
{{- fail (printf "multicluster.role must be host or member, not %q" $role) -}}
{{- end -}}
{{- $role -}}
{{- end }}

{{/*
workload renders a Deployment and its Service. Call with
(dict "root" $ "name" "ks-apiserver" "image" REPO "replicas" N "port" P "command" LIST "healthz" PATH),
where an empty healthz path probes the port by TCP.
*/}}
{{- define "ks-core.workload" -}}
{{- $root := .root -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ks-core.labels" $root | nindent 4 }}
    app: {{ .name }}
    tier: backend
spec:
  replicas: {{ .replicas }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      app: {{ .name }}
  template:
    metadata:
      labels:
        app: {{ .name }}
        tier: backend
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/config.yaml") $root | sha256sum }}
    spec:
      serviceAccountName: kubesphere
      {{- with $root.Values.global.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      tolerations:
        - key: node-role.kubernetes.io/control-plane
          effect: NoSchedule
        - key: CriticalAddonsOnly
          operator: Exists
      containers:
        - name: {{ .name }}
          image: {{ include "ks-core.image" (list $root .image) }}
          imagePullPolicy: {{ $root.Values.pullPolicy }}
          command: {{ toJson .command }}
          ports:
            - name: http
              containerPort: {{ .port }}
              protocol: TCP
          readinessProbe:
            {{- if .healthz }}
            httpGet:
              path: {{ .healthz }}
              port: http
            {{- else }}
            tcpSocket:
              port: http
            {{- end }}
            periodSeconds: 10
          resources:
            requests:
              cpu: 20m
              memory: 100Mi
          volumeMounts:
            - name: kubesphere-config
              mountPath: /etc/kubesphere/
      volumes:
        - name: kubesphere-config
          configMap:
            name: kubesphere-config
{{- end }}
