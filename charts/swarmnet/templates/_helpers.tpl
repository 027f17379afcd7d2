{{/* Names, labels and the image reference, defined once. */}}

{{- define "swarmnet.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "swarmnet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: swarmnet
{{- end -}}

{{- define "swarmnet.operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "swarmnet.agent.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end -}}

{{- define "swarmnet.operator.name" -}}
{{- printf "%s-operator" (include "swarmnet.fullname" .) -}}
{{- end -}}

{{- define "swarmnet.agent.name" -}}
{{- printf "%s-agent" (include "swarmnet.fullname" .) -}}
{{- end -}}

{{- define "swarmnet.operator.serviceAccount" -}}
{{- default (include "swarmnet.operator.name" .) .Values.serviceAccount.operatorName -}}
{{- end -}}

{{- define "swarmnet.agent.serviceAccount" -}}
{{- default (include "swarmnet.agent.name" .) .Values.serviceAccount.agentName -}}
{{- end -}}

{{/* The encryption key Secret: a fixed name in the code (io.swarmnet.api.contract.SwarmnetKeys.SECRET_ENCRYPTION_KEYS). */}}
{{- define "swarmnet.keySecretName" -}}
swarmnet-encryption-keys
{{- end -}}

{{- define "swarmnet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
nodeSelector of a pod running this chart's image, a Linux image: kubernetes.io/os: linux, then the
given map (a values nodeSelector, whose schema refuses another kubernetes.io/os).
*/}}
{{- define "swarmnet.linuxNodeSelector" -}}
{{- toYaml (merge (dict "kubernetes.io/os" "linux") (default (dict) .)) -}}
{{- end -}}
