{{/* Chart name, truncated to the 63 characters a label value may have. */}}
{{- define "clusterwright.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name of the release's objects: the release name, with the chart name unless the
release name holds it already. */}}
{{- define "clusterwright.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "clusterwright.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "clusterwright.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels; callers add app.kubernetes.io/component (serve or worker) so that
the Service selects the API pods only. */}}
{{- define "clusterwright.selectorLabels" -}}
app.kubernetes.io/name: {{ include "clusterwright.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "clusterwright.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Environment both serve and worker get: secrets by reference, the rest by value. */}}
{{- define "clusterwright.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret is required: a Secret holding the Postgres URL" .Values.database.existingSecret }}
      key: {{ .Values.database.key }}
- name: CLUSTERWRIGHT_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ required "masterKey.existingSecret is required: a Secret holding the 32-byte master key" .Values.masterKey.existingSecret }}
      key: {{ .Values.masterKey.key }}
- name: TEMPORAL_ADDRESS
  value: {{ .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: CLUSTERWRIGHT_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- with .Values.temporal.tls }}
{{- if .existingSecret }}
- name: CLUSTERWRIGHT_TEMPORAL_TLS_CA_FILE
  value: /etc/clusterwright/temporal-tls/ca.crt
{{- if .clientCertificate }}
- name: CLUSTERWRIGHT_TEMPORAL_TLS_CERT_FILE
  value: /etc/clusterwright/temporal-tls/tls.crt
- name: CLUSTERWRIGHT_TEMPORAL_TLS_KEY_FILE
  value: /etc/clusterwright/temporal-tls/tls.key
{{- end }}
{{- if .serverName }}
- name: CLUSTERWRIGHT_TEMPORAL_TLS_SERVER_NAME
  value: {{ .serverName | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.temporal.apiKey.existingSecret }}
- name: CLUSTERWRIGHT_TEMPORAL_API_KEY_FILE
  value: /etc/clusterwright/temporal-api-key/{{ .Values.temporal.apiKey.key }}
{{- end }}
- name: HOME
  value: /tmp
{{- end -}}

{{/* Mounts of the optional TLS and CA Secrets, both serve and worker. */}}
{{- define "clusterwright.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.tls.existingSecret }}
- name: tls
  mountPath: /etc/clusterwright/tls
  readOnly: true
{{- end }}
{{- if .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: /etc/clusterwright/temporal-tls
  readOnly: true
{{- end }}
{{- if .Values.temporal.apiKey.existingSecret }}
- name: temporal-api-key
  mountPath: /etc/clusterwright/temporal-api-key
  readOnly: true
{{- end }}
{{- if .Values.database.caSecret }}
- name: postgres-ca
  mountPath: /etc/clusterwright/postgres-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* Pod settings both serve and worker share. */}}
{{- define "clusterwright.podSpec" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
volumes:
  - name: tmp
    emptyDir: {}
  {{- if .Values.tls.existingSecret }}
  - name: tls
    secret:
      secretName: {{ .Values.tls.existingSecret }}
  {{- end }}
  {{- if .Values.temporal.tls.existingSecret }}
  - name: temporal-tls
    secret:
      secretName: {{ .Values.temporal.tls.existingSecret }}
  {{- end }}
  {{- if .Values.temporal.apiKey.existingSecret }}
  - name: temporal-api-key
    secret:
      secretName: {{ .Values.temporal.apiKey.existingSecret }}
  {{- end }}
  {{- if .Values.database.caSecret }}
  - name: postgres-ca
    secret:
      secretName: {{ .Values.database.caSecret }}
  {{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
