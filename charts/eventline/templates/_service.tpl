{{/*
The one template for an eventline Koa service: ServiceAccount, Deployment (or StatefulSet), Service,
PodDisruptionBudget, optional HorizontalPodAutoscaler, NetworkPolicy, its ConfigMap for config-service
and, when it uses Kafka, its KafkaUser. Call with (dict "root" $ "name" <service> "svc" <merged values>).
*/}}
{{- define "eventline.service" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $svc := .svc -}}
{{- $fullname := include "eventline.fullname" (dict "root" $root "name" $name) -}}
{{- $kafkaUser := include "eventline.kafkaUser" (dict "root" $root "name" $name) -}}
{{- $kafkaCluster := include "eventline.kafkaCluster" $root -}}
{{- $routes := $root.Files.Get "files/routes.json" | fromJson -}}
{{- /* files/routes.json's service table is the one place a service's port is written. */ -}}
{{- $port := required (printf "files/routes.json has no port for service %s" $name) (dig $name "port" nil $routes.services) -}}
{{- $configPort := (index $routes.services "config-service").port -}}
{{- $public := false -}}
{{- range $routes.routes -}}
{{- if and (eq .service $name) (ne (toString .public) "false") }}{{ $public = true }}{{ end -}}
{{- end -}}
{{- $selector := include "eventline.selectorLabels" (dict "root" $root "name" $name) -}}
{{- $kind := ternary "StatefulSet" "Deployment" (default false $svc.statefulSet) -}}
{{- /* TLS to Kafka is Strimzi's listener with its cluster CA; an external Kafka is reached with SCRAM alone. */ -}}
{{- $kafkaTls := and $root.Values.kafka.strimzi $root.Values.kafka.listener.tls -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "eventline.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $name }}
automountServiceAccountToken: {{ default false $svc.kubernetesApi }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "eventline.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $name }}
spec:
  selector:
    {{- $selector | nindent 4 }}
  ports:
    - name: http
      port: {{ $port }}
      targetPort: http
{{- if eq $kind "StatefulSet" }}
---
# The StatefulSet's governing Service: a DNS name per pod (<pod>.<name>-headless).
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}-headless
  labels:
    {{- include "eventline.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $name }}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector:
    {{- $selector | nindent 4 }}
  ports:
    - name: http
      port: {{ $port }}
      targetPort: http
{{- end }}
{{- if $root.Values.metrics.prometheus.deploy }}
---
# Every ready pod's address by DNS, for the release's Prometheus (dns_sd: Debian's build of
# Prometheus has no Kubernetes discovery).
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}-pods
  labels:
    {{- include "eventline.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $name }}
spec:
  clusterIP: None
  selector:
    {{- $selector | nindent 4 }}
  ports:
    - name: http
      port: {{ $port }}
      targetPort: http
{{- end }}
---
apiVersion: apps/v1
kind: {{ $kind }}
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "eventline.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $name }}
    app.kubernetes.io/component: service
spec:
  {{- if not $svc.autoscaling.enabled }}
  replicas: {{ $svc.replicas }}
  {{- end }}
  {{- if eq $kind "StatefulSet" }}
  serviceName: {{ $fullname }}-headless
  podManagementPolicy: Parallel
  {{- end }}
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "eventline.podLabels" (dict "root" $root "name" $name) | nindent 8 }}
        app.kubernetes.io/component: service
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $port | quote }}
        prometheus.io/path: /metrics
        {{- with $svc.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ $fullname }}
      {{- with $root.Values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- with $svc.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      automountServiceAccountToken: {{ default false $svc.kubernetesApi }}
      terminationGracePeriodSeconds: {{ $svc.terminationGracePeriodSeconds }}
      securityContext:
        {{- include "eventline.podSecurityContext" $root | nindent 8 }}
      containers:
        - name: {{ $name }}
          image: {{ include "eventline.image" (dict "root" $root "name" $name "svc" $svc) }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          # A container that fails leaves its last log lines in its status (kubectl describe, the
          # pod's lastState) even after the kubelet has removed it and its log.
          terminationMessagePolicy: FallbackToLogsOnError
          ports:
            - name: http
              containerPort: {{ $port }}
          env:
            - { name: PORT, value: {{ $port | quote }} }
            - { name: LOG_LEVEL, value: {{ $svc.logLevel | quote }} }
            - name: POD_NAME
              valueFrom: { fieldRef: { fieldPath: metadata.name } }
            {{- include "eventline.tracingEnv" (dict "root" $root "name" $name) | nindent 12 }}
            {{- if $svc.configClient }}
            - { name: CONFIG_SERVICE_URL, value: "http://{{ include "eventline.fullname" (dict "root" $root "name" "config-service") }}:{{ $configPort }}" }
            {{- end }}
            {{- if $svc.kafka }}
            - { name: KAFKA_BROKERS, value: {{ include "eventline.kafkaBootstrap" $root | quote }} }
            {{- /* Strimzi's Topic Operator makes the topics; on an external Kafka the services do. */}}
            - { name: KAFKA_ENSURE_TOPICS, value: {{ ternary "false" "true" $root.Values.kafka.strimzi | quote }} }
            - { name: KAFKA_SASL_USERNAME, value: {{ $kafkaUser | quote }} }
            - name: KAFKA_SASL_PASSWORD
              valueFrom: { secretKeyRef: { name: {{ $kafkaUser }}, key: password } }
            # The same password from the mounted Secret, read at each authentication: a password the
            # User Operator replaces is followed without a restart (the variable above is for Jobs).
            - { name: KAFKA_SASL_PASSWORD_FILE, value: /etc/eventline/kafka-user/password }
            {{- if $kafkaTls }}
            - { name: KAFKA_TLS_CA_FILE, value: /etc/eventline/kafka-ca/ca.crt }
            {{- end }}
            - { name: SCHEMA_REGISTRY_URL, value: {{ include "eventline.registryUrl" $root | quote }} }
            {{- end }}
            {{- with $svc.postgres }}
            - name: PGPASSWORD
              valueFrom: { secretKeyRef: { name: {{ include "eventline.postgresSecret" $root }}, key: {{ $root.Values.postgres.passwordKey }} } }
            - name: DATABASE_URL
              value: "postgresql://{{ $root.Values.postgres.username }}@{{ include "eventline.postgresHost" $root }}:{{ $root.Values.postgres.port }}/{{ .database }}?sslmode={{ $root.Values.postgres.sslMode }}{{ if $root.Values.postgres.caSecret }}&sslrootcert=/etc/eventline/postgres-ca/ca.crt{{ end }}"
            {{- end }}
            {{- with $svc.mongo }}
            - name: MONGO_URL
              valueFrom: { secretKeyRef: { name: {{ include "eventline.mongoSecret" $root }}, key: {{ $root.Values.mongo.urlKey }} } }
            - { name: MONGO_DB, value: {{ .database | quote }} }
            {{- end }}
            {{- if $svc.statefulSet }}
            - name: INSTANCE_ID
              valueFrom: { fieldRef: { fieldPath: metadata.name } }
            {{- end }}
            {{- if $svc.kubernetesApi }}
            - { name: RELEASE_NAME, value: {{ $root.Release.Name | quote }} }
            {{- end }}
            {{- with $svc.leaseName }}
            - { name: LEASE_NAME, value: {{ include "eventline.fullname" (dict "root" $root "name" .) | quote }} }
            - { name: RELEASE_TAKES_UNLABELLED, value: {{ ternary "true" "false" (ne (toString $svc.takeUnlabelledResources) "false") | quote }} }
            {{- with include "eventline.prefix" $root }}
            - { name: WORKLOAD_NAME_PREFIX, value: {{ . | quote }} }
            {{- end }}
            {{- end }}
            {{- range $job, $_ := $svc.jobKafka }}
            {{- /* The Kafka user of this service's `<job>` Jobs (REDRIVE_KAFKA_USER): a Job runs as it, the service does not. */}}
            - { name: {{ printf "%s_KAFKA_USER" (upper $job) }}, value: {{ include "eventline.kafkaUser" (dict "root" $root "name" (printf "%s-%s" $name $job)) | quote }} }
            {{- end }}
            {{- range $key, $value := $svc.env }}
            - { name: {{ $key }}, value: {{ $value | quote }} }
            {{- end }}
          {{- range $probe, $field := dict "startup" "startupProbe" "liveness" "livenessProbe" "readiness" "readinessProbe" }}
          {{- with index $svc.probes $probe }}
          {{ $field }}:
            httpGet: { path: {{ .path }}, port: http }
            periodSeconds: {{ .periodSeconds }}
            failureThreshold: {{ .failureThreshold }}
          {{- end }}
          {{- end }}
          {{- /* Only a service that takes requests (routed by the gateway, or config-service) has any
          to wait out: cart-aggregator and the operator leave at once. */}}
          {{- with and (or $public $svc.configServer) $svc.preStopSleepSeconds }}
          # Serving on while the pod's removal from the endpoints reaches the gateway and kube-proxy;
          # SIGTERM (and the drain) comes after. Without it a request routed meanwhile is refused.
          lifecycle:
            preStop:
              sleep: { seconds: {{ . }} }
          {{- end }}
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          {{- $securityContext := include "eventline.containerSecurityContext" $root | fromYaml }}
          {{- $_ := set $securityContext "readOnlyRootFilesystem" $svc.readOnlyRootFilesystem }}
          securityContext:
            {{- toYaml $securityContext | nindent 12 }}
          volumeMounts:
            - { name: tmp, mountPath: /tmp }
            {{- if $svc.kafka }}
            - { name: kafka-user, mountPath: /etc/eventline/kafka-user, readOnly: true }
            {{- end }}
            {{- if and $svc.kafka $kafkaTls }}
            - { name: kafka-ca, mountPath: /etc/eventline/kafka-ca, readOnly: true }
            {{- end }}
            {{- if and $svc.postgres $root.Values.postgres.caSecret }}
            - { name: postgres-ca, mountPath: /etc/eventline/postgres-ca, readOnly: true }
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: { sizeLimit: 64Mi }
        {{- if $svc.kafka }}
        - name: kafka-user
          secret: { secretName: {{ $kafkaUser }}, items: [{ key: password, path: password }] }
        {{- end }}
        {{- if and $svc.kafka $kafkaTls }}
        - name: kafka-ca
          secret: { secretName: {{ $kafkaCluster }}-cluster-ca-cert, items: [{ key: ca.crt, path: ca.crt }] }
        {{- end }}
        {{- if and $svc.postgres $root.Values.postgres.caSecret }}
        - name: postgres-ca
          secret: { secretName: {{ $root.Values.postgres.caSecret }}, items: [{ key: {{ $root.Values.postgres.caKey }}, path: ca.crt }] }
        {{- end }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "eventline.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $name }}
spec:
  {{- toYaml $svc.podDisruptionBudget | nindent 2 }}
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
{{- if $svc.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "eventline.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $name }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: {{ $kind }}
    name: {{ $fullname }}
  minReplicas: {{ $svc.autoscaling.minReplicas }}
  maxReplicas: {{ $svc.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: { type: Utilization, averageUtilization: {{ $svc.autoscaling.targetCPUUtilizationPercentage }} }
  {{- with $svc.autoscaling.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- if $root.Values.networkPolicy.enabled }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "eventline.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $name }}
spec:
  podSelector:
    matchLabels:
      {{- $selector | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    {{- if and $public (or $root.Values.gateway.enabled $root.Values.ingress.enabled) }}
    - from:
        {{- if $root.Values.gateway.enabled }}
        - namespaceSelector:
            matchLabels: { kubernetes.io/metadata.name: {{ $root.Values.gateway.controllerNamespace }} }
        {{- end }}
        {{- if $root.Values.ingress.enabled }}
        - namespaceSelector:
            matchLabels: { kubernetes.io/metadata.name: {{ $root.Values.ingress.controllerNamespace }} }
        {{- end }}
      ports: [{ protocol: TCP, port: {{ $port }} }]
    {{- end }}
    {{- if $svc.configServer }}
    - from:
        - podSelector:
            matchLabels: { app.kubernetes.io/part-of: eventline, app.kubernetes.io/component: service, app.kubernetes.io/instance: {{ $root.Release.Name }} }
      ports: [{ protocol: TCP, port: {{ $port }} }]
    {{- end }}
    {{- if $root.Values.metrics.prometheus.deploy }}
    - from:
        - podSelector:
            matchLabels: { app.kubernetes.io/name: prometheus, app.kubernetes.io/instance: {{ $root.Release.Name }} }
      ports: [{ protocol: TCP, port: {{ $port }} }]
    {{- end }}
    {{- with $root.Values.networkPolicy.metricsNamespaces }}
    - from:
        {{- range . }}
        - namespaceSelector:
            matchLabels: { kubernetes.io/metadata.name: {{ . }} }
        {{- end }}
      ports: [{ protocol: TCP, port: {{ $port }} }]
    {{- end }}
  egress:
    {{- include "eventline.dnsEgress" $root | nindent 4 }}
    {{- if $svc.configClient }}
    - to:
        - podSelector:
            matchLabels: { app.kubernetes.io/name: config-service, app.kubernetes.io/instance: {{ $root.Release.Name }} }
      ports: [{ protocol: TCP, port: {{ $configPort }} }]
    {{- end }}
    {{- if $svc.kubernetesApi }}
    {{- with include "eventline.apiServerEgress" $root }}
    {{- . | trim | nindent 4 }}
    {{- end }}
    {{- end }}
    {{- if $svc.kafka }}
    {{- if $root.Values.kafka.strimzi }}
    - to:
        - podSelector:
            matchLabels: { strimzi.io/cluster: {{ $kafkaCluster }}, strimzi.io/kind: Kafka }
      ports: [{ protocol: TCP, port: {{ $root.Values.kafka.listener.port }} }]
    {{- end }}
    {{- if $root.Values.schemaRegistry.deploy }}
    - to:
        - podSelector:
            matchLabels: { app.kubernetes.io/name: schema-registry, app.kubernetes.io/instance: {{ $root.Release.Name }} }
      ports: [{ protocol: TCP, port: {{ $root.Values.schemaRegistry.port }} }]
    {{- end }}
    {{- end }}
    {{- if and $svc.postgres $root.Values.postgres.deploy }}
    - to:
        - podSelector:
            matchLabels: { app.kubernetes.io/name: postgres, app.kubernetes.io/instance: {{ $root.Release.Name }} }
      ports: [{ protocol: TCP, port: {{ $root.Values.postgres.port }} }]
    {{- end }}
    {{- if and $svc.mongo $root.Values.mongo.deploy }}
    - to:
        - podSelector:
            matchLabels: { app.kubernetes.io/name: mongo, app.kubernetes.io/instance: {{ $root.Release.Name }} }
      ports: [{ protocol: TCP, port: {{ $root.Values.mongo.port }} }]
    {{- end }}
    {{- if and (eq $root.Values.tracing.exporter "zipkin") $root.Values.tracing.zipkin.deploy (not $root.Values.tracing.zipkinEndpoint) }}
    - to:
        - podSelector:
            matchLabels: { app.kubernetes.io/name: zipkin, app.kubernetes.io/instance: {{ $root.Release.Name }} }
      ports: [{ protocol: TCP, port: {{ $root.Values.tracing.zipkin.port }} }]
    {{- end }}
    {{- if and (eq $root.Values.tracing.exporter "otlp") $root.Values.tracing.collector.deploy (not $root.Values.tracing.otlpEndpoint) }}
    - to:
        - podSelector:
            matchLabels: { app.kubernetes.io/name: otel-collector, app.kubernetes.io/instance: {{ $root.Release.Name }} }
      ports: [{ protocol: TCP, port: {{ $root.Values.tracing.collector.otlpPort }} }]
    {{- end }}
    {{- include "eventline.externalEgress" $root | nindent 4 }}
{{- end }}
{{- if $svc.configClient }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $fullname }}-config
  labels:
    {{- include "eventline.labels" $root | nindent 4 }}
    app.kubernetes.io/name: {{ $name }}
    eventline.dev/config-for: {{ $name }}
data:
  {{- range $key, $value := merge (deepCopy ($svc.config | default dict)) (dict "LOG_LEVEL" $svc.logLevel) }}
  {{ $key }}: {{ $value | toString | quote }}
  {{- end }}
{{- end }}
{{- if $root.Values.kafka.strimzi }}
{{- with $svc.kafka }}
---
{{ include "eventline.kafkaUserObject" (dict "root" $root "name" $fullname "cluster" $kafkaCluster "kafka" .) }}
{{- end }}
{{- range $job, $kafka := $svc.jobKafka }}
---
{{ include "eventline.kafkaUserObject" (dict "root" $root "name" (printf "%s-%s" $fullname $job) "cluster" $kafkaCluster "kafka" $kafka) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A KafkaUser with SCRAM credentials and exactly the ACLs its `kafka` entry lists. Call with
(dict "root" $ "name" <user> "cluster" <Kafka cluster> "kafka" <the service's or Job's kafka entry>).
*/}}
{{- define "eventline.kafkaUserObject" -}}
{{- $root := .root -}}
{{- /*
The user's password is the chart's, in a Secret of its own that the KafkaUser points at: a password
the User Operator generates it may replace moments later (a reconcile before its Secret cache has
synced), and a client that read the first one at start (the Collector, Zipkin) then fails to log in
for good. Kept across upgrades: the chart's Secret if it exists, else the password the User Operator
generated for a release installed before this, else a new one.
*/ -}}
{{- $passwordSecret := printf "%s-scram" .name -}}
{{- $ours := lookup "v1" "Secret" $root.Release.Namespace $passwordSecret -}}
{{- $generated := lookup "v1" "Secret" $root.Release.Namespace .name -}}
{{- $password := randAlphaNum 32 | b64enc -}}
{{- if and $ours (index ($ours.data | default dict) "password") -}}
{{- $password = index $ours.data "password" -}}
{{- else if and $generated (index ($generated.data | default dict) "password") -}}
{{- $password = index $generated.data "password" -}}
{{- end -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ $passwordSecret }}
  labels:
    {{- include "eventline.labels" $root | nindent 4 }}
type: Opaque
data:
  password: {{ $password }}
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaUser
metadata:
  name: {{ .name }}
  labels:
    {{- include "eventline.labels" $root | nindent 4 }}
    strimzi.io/cluster: {{ .cluster }}
spec:
  authentication:
    type: scram-sha-512
    password:
      valueFrom:
        secretKeyRef: { name: {{ $passwordSecret }}, key: password }
  authorization:
    type: simple
    acls:
      {{- with .kafka }}
      {{- range .produces }}
      - resource: { type: topic, name: {{ . | quote }}, patternType: literal }
        operations: [Write, Describe]
      {{- end }}
      {{- range .consumes }}
      - resource: { type: topic, name: {{ . | quote }}, patternType: literal }
        operations: [Read, Describe]
      - resource: { type: topic, name: {{ printf "%s.dlq" . | quote }}, patternType: literal }
        operations: [Write, Describe]
      {{- end }}
      {{- range .groups }}
      - resource: { type: group, name: {{ . | quote }}, patternType: prefix }
        operations: [Read, Describe]
      {{- end }}
      {{- range .reads }}
      - resource: { type: topic, name: {{ . | quote }}, patternType: literal }
        operations: [Read, Describe]
      {{- end }}
      {{- range .describes }}
      - resource: { type: topic, name: {{ . | quote }}, patternType: literal }
        operations: [Describe]
      {{- end }}
      {{- range .manageGroups }}
      - resource: { type: group, name: {{ . | quote }}, patternType: prefix }
        operations: [Read, Describe, Delete]
      {{- end }}
      {{- range .transactionalIds }}
      - resource: { type: transactionalId, name: {{ . | quote }}, patternType: prefix }
        operations: [Write, Describe]
      {{- end }}
      {{- end }}
{{- end }}
