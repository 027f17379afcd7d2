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
The Pod Security level the release namespace enforces: its pod-security.kubernetes.io/enforce label,
"" when it has none (the cluster's default level applies, which Helm cannot read), or "unknown" when
the namespace cannot be read: helm template and --dry-run=client do not look anything up, and with
--create-namespace Helm renders before it creates the namespace.
*/}}
{{- define "swarmnet.podSecurity.enforced" -}}
{{- $namespace := lookup "v1" "Namespace" "" .Release.Namespace -}}
{{- if $namespace -}}
{{- dig "metadata" "labels" "pod-security.kubernetes.io/enforce" "" $namespace -}}
{{- else -}}
unknown
{{- end -}}
{{- end -}}

{{/*
Stops an install into a namespace whose Pod Security level would refuse the agent's pods: the
DaemonSet would be created and stay without pods, its refusals only visible as events.
*/}}
{{- define "swarmnet.podSecurity.check" -}}
{{- $level := include "swarmnet.podSecurity.enforced" . -}}
{{- if and $level (ne $level "unknown") (ne $level "privileged") -}}
{{- fail (printf "namespace %s enforces Pod Security %q (label pod-security.kubernetes.io/enforce), which refuses the pods of the swarmnet node agent: they need the host network and PID namespaces, hostPath mounts and the capabilities NET_ADMIN and SYS_ADMIN, which only the \"privileged\" level allows. Label the namespace, then install again: kubectl label namespace %s pod-security.kubernetes.io/enforce=privileged --overwrite" .Release.Namespace $level .Release.Namespace) -}}
{{- end -}}
{{- end -}}

{{/*
nodeSelector of a pod running this chart's image, a Linux image: kubernetes.io/os: linux, then the
given map (a values nodeSelector, whose schema refuses another kubernetes.io/os).
*/}}
{{- define "swarmnet.linuxNodeSelector" -}}
{{- toYaml (merge (dict "kubernetes.io/os" "linux") (default (dict) .)) -}}
{{- end -}}
