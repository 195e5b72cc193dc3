{{/* Names, labels and the pieces every Landgrid container shares. */}}

{{- define "landgrid.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "landgrid.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* selector labels of one component: (dict "root" $ "component" "web") */}}
{{- define "landgrid.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "landgrid.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "landgrid.databaseSecret" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "landgrid.fullname" .)) -}}
{{- end -}}

{{- define "landgrid.oidcSecret" -}}
{{- .Values.auth.oidc.existingSecret | default (printf "%s-oidc" (include "landgrid.fullname" .)) -}}
{{- end -}}

{{- define "landgrid.redisHost" -}}
{{- if .Values.redis.enabled -}}
{{- printf "%s-redis" (include "landgrid.fullname" .) -}}
{{- else -}}
{{- required "redis.host is required when redis.enabled is false" .Values.redis.host -}}
{{- end -}}
{{- end -}}

{{/* pod-level settings of every Landgrid pod */}}
{{- define "landgrid.podSpec" -}}
serviceAccountName: {{ include "landgrid.fullname" . }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* environment of every Landgrid container: the ConfigMap, then the Secrets */}}
{{- define "landgrid.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ include "landgrid.fullname" . }}
  - secretRef:
      name: {{ include "landgrid.databaseSecret" . }}
{{- if eq .Values.auth.mode "oidc" }}
  - secretRef:
      name: {{ include "landgrid.oidcSecret" . }}
{{- end }}
{{- with .Values.results.existingSecret }}
  - secretRef:
      name: {{ . }}
{{- end }}
{{- end -}}

{{- define "landgrid.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: false
  capabilities:
    drop: [ALL]
{{- end -}}

{{- define "landgrid.dataVolume" -}}
- name: data
  persistentVolumeClaim:
    claimName: {{ .Values.storage.existingClaim | default (printf "%s-data" (include "landgrid.fullname" .)) }}
{{- end -}}

{{- define "landgrid.scrape" -}}
{{- if .root.Values.metrics.annotations }}
annotations:
  prometheus.io/scrape: "true"
  prometheus.io/port: {{ .port | quote }}
  prometheus.io/path: /metrics
{{- end }}
{{- end -}}
