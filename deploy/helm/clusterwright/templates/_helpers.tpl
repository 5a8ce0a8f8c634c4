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

{{/* The keys of masterKey.oldKeys.existingSecret that hold old master keys, comma-separated
(keys may be a list or a comma-separated string); fails unless the Secret and the keys are
both given. Empty when neither is. */}}
{{- define "clusterwright.oldKeys" -}}
{{- $old := .Values.masterKey.oldKeys -}}
{{- if or $old.existingSecret $old.keys -}}
{{- $_ := required "masterKey.oldKeys.existingSecret is required with masterKey.oldKeys.keys: the Secret that holds the old master keys" $old.existingSecret -}}
{{- $keys := $old.keys -}}
{{- if kindIs "string" $keys -}}
{{- $keys = splitList "," $keys -}}
{{- end -}}
{{- $names := list -}}
{{- range $keys -}}
{{- if trim (toString .) -}}
{{- $names = append $names (trim (toString .)) -}}
{{- end -}}
{{- end -}}
{{- if not $names -}}
{{- fail "masterKey.oldKeys.keys is required with masterKey.oldKeys.existingSecret: the keys of that Secret that hold an old master key each, e.g. [secret-key]" -}}
{{- end -}}
{{- join "," $names -}}
{{- end -}}
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
{{- with include "clusterwright.oldKeys" . }}
{{- $files := list }}
{{- range splitList "," . }}
{{- $files = append $files (printf "/etc/clusterwright/old-keys/%s" .) }}
{{- end }}
- name: CLUSTERWRIGHT_OLD_SECRET_KEY_FILES
  value: {{ join "," $files | quote }}
{{- end }}
- name: CLUSTERWRIGHT_RECONCILE_INTERVAL
  value: {{ .Values.reconcile.interval | quote }}
- name: CLUSTERWRIGHT_RECONCILE_GRACE
  value: {{ .Values.reconcile.grace | quote }}
- name: CLUSTERWRIGHT_STUCK_WORKFLOW_ATTEMPTS
  value: {{ .Values.reconcile.stuckWorkflowAttempts | quote }}
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

{{/* Mounts of the optional TLS, CA and old key Secrets, both serve and worker. */}}
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
{{- if include "clusterwright.oldKeys" . }}
- name: old-keys
  mountPath: /etc/clusterwright/old-keys
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
  {{- if .Values.sso.clientSecret.existingSecret }}
  # Mounted by serve only: the OIDC client secret.
  - name: oidc-client-secret
    secret:
      secretName: {{ .Values.sso.clientSecret.existingSecret }}
  {{- end }}
  {{- if .Values.database.caSecret }}
  - name: postgres-ca
    secret:
      secretName: {{ .Values.database.caSecret }}
  {{- end }}
  {{- with include "clusterwright.oldKeys" . }}
  # Only the listed keys: the pod does not start while one of them is missing.
  - name: old-keys
    secret:
      secretName: {{ $.Values.masterKey.oldKeys.existingSecret }}
      items:
        {{- range splitList "," . }}
        - key: {{ . }}
          path: {{ . }}
        {{- end }}
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
