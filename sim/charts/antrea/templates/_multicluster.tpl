{{/*
mcController renders the ServiceAccount, ConfigMap and Deployment of one
multi-cluster controller. Call with (dict "root" $ "namespace" NS "role" "leader"|"member").
*/}}
{{- define "antrea.mcController" -}}
{{- $root := .root -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: antrea-mc-controller
  namespace: {{ .namespace }}
  labels:
    {{- include "antrea.labels" $root | nindent 4 }}
    component: antrea-mc-controller
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: antrea-mc-controller-config
  namespace: {{ .namespace }}
  labels:
    {{- include "antrea.labels" $root | nindent 4 }}
    component: antrea-mc-controller
data:
  controller_manager_config.yaml: |
    {{- include "antrea.mcConfig" $root | nindent 4 }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: antrea-mc-controller
  namespace: {{ .namespace }}
  labels:
    {{- include "antrea.labels" $root | nindent 4 }}
    component: antrea-mc-controller
    multicluster.antrea.io/role: {{ .role }}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: antrea
      component: antrea-mc-controller
  template:
    metadata:
      labels:
        app: antrea
        component: antrea-mc-controller
      annotations:
        checksum/config: {{ include "antrea.mcConfig" $root | sha256sum }}
    spec:
      serviceAccountName: antrea-mc-controller
      tolerations:
        - key: node-role.kubernetes.io/control-plane
          effect: NoSchedule
      containers:
        - name: antrea-mc-controller
          image: {{ include "antrea.image" (list $root $root.Values.multicluster.image) }}
          imagePullPolicy: {{ $root.Values.multicluster.image.pullPolicy }}
          command: ["antrea-mc-controller"]
          args: [{{ .role | quote }}, "--config=/controller_manager_config.yaml", "--v=0"]
          env:
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          ports:
            - name: webhook
              containerPort: 9443
              protocol: TCP
            - name: health
              containerPort: 8080
              protocol: TCP
          readinessProbe:
            httpGet:
              path: /readyz
              port: health
            periodSeconds: 10
          livenessProbe:
            httpGet:
              path: /healthz
              port: health
            periodSeconds: 20
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
          volumeMounts:
            - name: config
              mountPath: /controller_manager_config.yaml
              subPath: controller_manager_config.yaml
              readOnly: true
      volumes:
        - name: config
          configMap:
            name: antrea-mc-controller-config
{{- end }}
