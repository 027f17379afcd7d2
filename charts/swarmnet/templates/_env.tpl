{{/* The components' environment: the names are those read by OperatorConfig and AgentConfig. */}}

{{- define "swarmnet.operator.env" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: SWARMNET_OPERATOR_NAMESPACE
  value: {{ .Release.Namespace | quote }}
- name: SWARMNET_ADDRESS_POOLS
  value: {{ join "," .Values.network.addressPools | quote }}
- name: SWARMNET_POOL_SUBNET_SIZE
  value: {{ .Values.network.poolSubnetSize | quote }}
- name: SWARMNET_EXCLUDED_CIDRS
  {{- /* an empty variable means "the built-in default"; "none" asks for no excluded range */}}
  value: {{ if .Values.network.excludedCidrs }}{{ join "," .Values.network.excludedCidrs | quote }}{{ else }}"none"{{ end }}
- name: SWARMNET_CLUSTER_DOMAIN
  value: {{ .Values.network.clusterDomain | quote }}
- name: SWARMNET_WATCH_NAMESPACES
  value: {{ join "," .Values.operator.watchNamespaces | quote }}
- name: SWARMNET_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: SWARMNET_HTTP_PORT
  value: {{ .Values.operator.httpPort | quote }}
- name: SWARMNET_LEADER_ELECTION
  value: {{ .Values.operator.leaderElection | quote }}
- name: SWARMNET_LEASE_NAME
  value: {{ .Values.operator.leaseName | quote }}
- name: SWARMNET_KEY_ROTATION_INTERVAL
  value: {{ .Values.encryption.keyRotationInterval | quote }}
- name: SWARMNET_ADDRESS_WARNING_PERCENT
  value: {{ .Values.operator.addressWarningPercent | quote }}
- name: SWARMNET_RECONCILE_THREADS
  value: {{ .Values.operator.reconcileThreads | quote }}
{{- if .Values.tasks.waitForAttachment }}
- name: SWARMNET_IMAGE
  value: {{ include "swarmnet.image" . | quote }}
- name: SWARMNET_IMAGE_PULL_POLICY
  value: {{ .Values.image.pullPolicy | quote }}
{{- end }}
- name: SWARMNET_ATTACH_TIMEOUT
  value: {{ .Values.tasks.attachTimeout | quote }}
- name: SWARMNET_VXLAN_ID_RANGE
  value: {{ include "swarmnet.vxlanIdRange" . | quote }}
{{- end -}}

{{- /* network.vxlanIdRange, checked beyond the schema's pattern: inside the 24-bit VNI space and not empty. */}}
{{- define "swarmnet.vxlanIdRange" -}}
{{- $range := .Values.network.vxlanIdRange | toString -}}
{{- $ends := splitList "-" $range -}}
{{- if ne (len $ends) 2 -}}
{{- fail (printf "network.vxlanIdRange %q must be first-last, e.g. 1048576-16777215" $range) -}}
{{- end -}}
{{- $first := atoi (index $ends 0) -}}
{{- $last := atoi (index $ends 1) -}}
{{- if or (lt $first 1) (gt $last 16777215) (gt $first $last) -}}
{{- fail (printf "network.vxlanIdRange %q must be first-last with 1 <= first <= last <= 16777215 (VXLAN ids are 24 bits), e.g. 1048576-16777215" $range) -}}
{{- end -}}
{{- $range -}}
{{- end -}}

{{- define "swarmnet.agent.env" -}}
- name: NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: SWARMNET_KEY_NAMESPACE
  value: {{ .Release.Namespace | quote }}
- name: SWARMNET_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: SWARMNET_HTTP_PORT
  value: {{ .Values.agent.httpPort | quote }}
- name: SWARMNET_DNS_UPSTREAM
  value: {{ .Values.dns.upstream | quote }}
- name: SWARMNET_PROC_ROOT
  value: /host/proc
- name: SWARMNET_ENCRYPTION_MODE
  value: {{ .Values.agent.encryptionMode | quote }}
- name: SWARMNET_STATE_DIR
  value: {{ .Values.agent.stateDir | quote }}
- name: SWARMNET_DATA_PATH_PORT
  value: {{ .Values.network.dataPathPort | quote }}
- name: SWARMNET_POD_ATTACHMENT
  value: {{ .Values.agent.podAttachment | quote }}
- name: SWARMNET_VIP_BALANCING
  value: {{ .Values.agent.vipBalancing | quote }}
{{- if ne .Values.agent.vipBalancing "nft" }}
- name: SWARMNET_CGROUP2_ROOT
  value: /host/cgroup2
{{- end }}
{{- if .Values.agent.bpfPins }}
- name: SWARMNET_BPF_PINS
  value: {{ .Values.agent.bpfPins | quote }}
{{- else if ne .Values.agent.vipBalancing "socket" }}
- name: SWARMNET_BPF_PINS
  value: /host/bpf/swarmnet
{{- end }}
- name: SWARMNET_DNS_SOCKET
  value: /run/swarmnet-dns/dns.sock
{{- end -}}
