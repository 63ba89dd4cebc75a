{{/* The name of the webhook's Deployment, Service, certificate and pods. */}}
{{- define "krm-fn.name" -}}
{{ .Release.Name }}-webhook
{{- end }}

{{/* Labels on every resource: the selector label and Helm's own. */}}
{{- define "krm-fn.labels" -}}
app.kubernetes.io/name: {{ include "krm-fn.name" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end }}

{{/* The TLS Secret: cert-manager's, or the one given. */}}
{{- define "krm-fn.tlsSecret" -}}
{{- if .Values.tls.certManager -}}
{{ include "krm-fn.name" . }}-tls
{{- else -}}
{{ required "tls.secretName is required without cert-manager (tls.certManager: false)" .Values.tls.secretName }}
{{- end }}
{{- end }}
