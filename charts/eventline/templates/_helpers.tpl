{{/*
The prefix of every object name of the release: `namePrefix` when set ("" for none), none for the
release named `eventline` (the names the seeds, the port-forwards and the docs use), else
`<release>-`, so that two releases in one namespace do not collide.
*/}}
{{- define "eventline.prefix" -}}
{{- if kindIs "string" .Values.namePrefix -}}
{{ .Values.namePrefix }}
{{- else if ne .Release.Name "eventline" -}}
{{ .Release.Name }}-
{{- end -}}
{{- end }}

{{/* An object's name in this release: (dict "root" $ "name" "user-service") -> <prefix>user-service. */}}
{{- define "eventline.fullname" -}}
{{- printf "%s%s" (include "eventline.prefix" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* Labels every object of the release carries. */}}
{{- define "eventline.labels" -}}
app.kubernetes.io/part-of: eventline
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* The labels that select one component's pods: pass (dict "root" $ "name" "user-service"). */}}
{{- define "eventline.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{/* A pod template's labels: the release's and the component's name (pass as for selectorLabels). */}}
{{- define "eventline.podLabels" -}}
{{ include "eventline.labels" .root }}
app.kubernetes.io/name: {{ .name }}
{{- end }}

{{/* An eventline image: the service's own `image`, else <registry>/eventline-<name>:<tag>. */}}
{{- define "eventline.image" -}}
{{- $svc := .svc | default dict -}}
{{- if $svc.image -}}
{{ $svc.image }}
{{- else -}}
{{- $registry := .root.Values.image.registry -}}
{{ if $registry }}{{ $registry }}/{{ end }}eventline-{{ .name }}:{{ .root.Values.image.tag }}
{{- end -}}
{{- end }}

{{/* The Confluent-compatible URL of the schema registry. */}}
{{- define "eventline.registryUrl" -}}
{{- if .Values.schemaRegistry.deploy -}}
http://{{ include "eventline.fullname" (dict "root" . "name" "schema-registry") }}:{{ .Values.schemaRegistry.port }}/apis/ccompat/v7
{{- else -}}
{{ required "schemaRegistry.url is required when schemaRegistry.deploy is false" .Values.schemaRegistry.url }}
{{- end -}}
{{- end }}

{{/* The name of the release's Strimzi Kafka cluster (its Kafka resource). */}}
{{- define "eventline.kafkaCluster" -}}
{{ include "eventline.fullname" (dict "root" . "name" .Values.kafka.cluster) }}
{{- end }}

{{/* Kafka's bootstrap address, by the Service Strimzi creates for the cluster. */}}
{{- define "eventline.kafkaBootstrap" -}}
{{- if .Values.kafka.strimzi -}}
{{ include "eventline.kafkaCluster" . }}-kafka-bootstrap:{{ .Values.kafka.listener.port }}
{{- else -}}
{{ required "kafka.external.bootstrapServers is required when kafka.strimzi is false" .Values.kafka.external.bootstrapServers }}
{{- end }}
{{- end }}

{{/* The pod and container security settings of the `restricted` Pod Security Standard. */}}
{{- define "eventline.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "eventline.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end }}

{{/* NetworkPolicy egress to the cluster DNS. */}}
{{- define "eventline.dnsEgress" -}}
- to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - { protocol: UDP, port: 53 }
    - { protocol: TCP, port: 53 }
{{- end }}

{{/* NetworkPolicy egress to servers outside the cluster, from networkPolicy.externalEgress. */}}
{{- define "eventline.externalEgress" -}}
{{- range .Values.networkPolicy.externalEgress }}
- to:
    - ipBlock:
        cidr: {{ .cidr }}
  ports:
    {{- range .ports }}
    - { protocol: TCP, port: {{ . }} }
    {{- end }}
{{- end }}
{{- end }}

{{/*
NetworkPolicy egress to the Kubernetes API server: networkPolicy.apiServerEgress, or else the
addresses of the `kubernetes` Service's EndpointSlice as the cluster has them at install.
*/}}
{{- define "eventline.apiServerEgress" -}}
{{- $rules := .Values.networkPolicy.apiServerEgress -}}
{{- if not $rules -}}
{{- $found := list -}}
{{- with lookup "discovery.k8s.io/v1" "EndpointSlice" "default" "kubernetes" -}}
{{- $ports := list -}}
{{- range .ports }}{{ $ports = append $ports .port }}{{ end -}}
{{- range .endpoints -}}
{{- range .addresses }}{{ $found = append $found (dict "cidr" (printf "%s/32" .) "ports" $ports) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- $rules = $found -}}
{{- end -}}
{{- range $rules }}
- to:
    - ipBlock: { cidr: {{ .cidr }} }
  ports:
    {{- range .ports }}
    - { protocol: TCP, port: {{ . }} }
    {{- end }}
{{- end }}
{{- end }}

{{/* PostgreSQL's host: the release's own server's Service, else postgres.host. */}}
{{- define "eventline.postgresHost" -}}
{{- if .Values.postgres.deploy -}}
{{ include "eventline.fullname" (dict "root" . "name" "postgres") }}
{{- else -}}
{{ .Values.postgres.host }}
{{- end -}}
{{- end }}

{{/*
The Secret with PostgreSQL's password: the one the chart creates (deploy with a password) carries
the release's prefix; a Secret you provide is named as you wrote it.
*/}}
{{- define "eventline.postgresSecret" -}}
{{- if and .Values.postgres.deploy .Values.postgres.password -}}
{{ include "eventline.fullname" (dict "root" . "name" .Values.postgres.passwordSecret) }}
{{- else -}}
{{ .Values.postgres.passwordSecret }}
{{- end -}}
{{- end }}

{{/* The Secret with MongoDB's URL: the chart's own (deploy) carries the prefix; yours is as written. */}}
{{- define "eventline.mongoSecret" -}}
{{- if .Values.mongo.deploy -}}
{{ include "eventline.fullname" (dict "root" . "name" .Values.mongo.urlSecret) }}
{{- else -}}
{{ .Values.mongo.urlSecret }}
{{- end -}}
{{- end }}

{{/*
A service's Kafka user, and the Secret with its password: Strimzi's User Operator names both after
the KafkaUser (prefixed); on an external Kafka they are the service's name, as you provide them.
*/}}
{{- define "eventline.kafkaUser" -}}
{{- if .root.Values.kafka.strimzi -}}
{{ include "eventline.fullname" . }}
{{- else -}}
{{ .name }}
{{- end -}}
{{- end }}

{{/* The operator's leader-election Lease: its leaseName, prefixed like every name of the release. */}}
{{- define "eventline.operatorLease" -}}
{{- $operator := index .Values.services "operator" | default dict -}}
{{ include "eventline.fullname" (dict "root" . "name" ($operator.leaseName | default "eventline-operator")) }}
{{- end }}

{{/* Where the services send their spans when tracing.exporter is zipkin. */}}
{{- define "eventline.zipkinEndpoint" -}}
{{- if .Values.tracing.zipkinEndpoint -}}
{{ .Values.tracing.zipkinEndpoint }}
{{- else if .Values.tracing.zipkin.deploy -}}
http://{{ include "eventline.fullname" (dict "root" . "name" "zipkin") }}:{{ .Values.tracing.zipkin.port }}/api/v2/spans
{{- else -}}
{{ fail "tracing.exporter zipkin needs tracing.zipkinEndpoint or tracing.zipkin.deploy" }}
{{- end -}}
{{- end }}

{{/* Where the services send their spans when tracing.exporter is otlp. */}}
{{- define "eventline.otlpEndpoint" -}}
{{- if .Values.tracing.otlpEndpoint -}}
{{ .Values.tracing.otlpEndpoint }}
{{- else if .Values.tracing.collector.deploy -}}
http://{{ include "eventline.fullname" (dict "root" . "name" "otel-collector") }}:{{ .Values.tracing.collector.otlpPort }}
{{- else -}}
{{ fail "tracing.exporter otlp needs tracing.otlpEndpoint or tracing.collector.deploy" }}
{{- end -}}
{{- end }}

{{/* The OTEL_* variables of a service's container. Call with (dict "root" $ "name" <service>). */}}
{{- define "eventline.tracingEnv" -}}
{{- $t := .root.Values.tracing -}}
- { name: OTEL_TRACES_EXPORTER, value: {{ $t.exporter | quote }} }
{{- if ne $t.exporter "none" }}
- { name: OTEL_SERVICE_NAME, value: {{ .name | quote }} }
- { name: OTEL_TRACES_SAMPLER, value: parentbased_traceidratio }
- { name: OTEL_TRACES_SAMPLER_ARG, value: {{ $t.sampleRatio | toString | quote }} }
{{- end }}
{{- if eq $t.exporter "zipkin" }}
- { name: OTEL_EXPORTER_ZIPKIN_ENDPOINT, value: {{ include "eventline.zipkinEndpoint" .root | quote }} }
{{- else if eq $t.exporter "otlp" }}
- { name: OTEL_EXPORTER_OTLP_ENDPOINT, value: {{ include "eventline.otlpEndpoint" .root | quote }} }
{{- end }}
{{- end }}
