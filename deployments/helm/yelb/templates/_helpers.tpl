{{/* Labels shared by every object; "component" is the tier name (yelb-ui, ...). */}}
{{- define "yelb.labels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: yelb
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end }}

{{/* Selector labels: stable across upgrades. */}}
{{- define "yelb.selector" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{/*
Name of one of the release's objects, e.g. "yelb-ui". The release "yelb" keeps the
original names (yelb-ui, yelb-appserver, yelb-db, redis-server), which other
deployments and docs use; any other release prefixes them ("demo-yelb-ui"), so two
releases share a namespace without colliding.
*/}}
{{- define "yelb.name" -}}
{{- if eq .root.Release.Name "yelb" -}}
{{- .component -}}
{{- else -}}
{{- printf "%s-%s" .root.Release.Name .component -}}
{{- end -}}
{{- end }}

{{/* An image reference: every image, Redis included, comes from image.registry. */}}
{{- define "yelb.image" -}}
{{- $v := .root.Values -}}
{{- if eq .component "redis" -}}
{{- printf "%s/redis:7-alpine" $v.image.registry -}}
{{- else -}}
{{- printf "%s/%s:%s" $v.image.registry .component ($v.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}
{{- end }}

{{/* Pod-level hardening for the restricted Pod Security Standard. */}}
{{- define "yelb.podSecurity" -}}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .uid }}
  runAsGroup: {{ .uid }}
  {{- if .fsGroup }}
  fsGroup: {{ .uid }}
  fsGroupChangePolicy: OnRootMismatch
  {{- end }}
  seccompProfile:
    type: RuntimeDefault
{{- with .root.Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end }}

{{/* Container-level hardening: read-only root, no privileges, no capabilities. */}}
{{- define "yelb.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: [ALL]
{{- end }}

{{/* checkov skips with their reasons, next to the workload they apply to. */}}
{{- define "yelb.checkovSkips" -}}
checkov.io/skip-digest: CKV_K8S_43=Images are addressed by tag so one registry/tag knob retargets every tier
{{- if ne .root.Values.image.pullPolicy "Always" }}
checkov.io/skip-pull-policy: CKV_K8S_15=A pinned version tag never moves, and IfNotPresent runs images loaded with kind/minikube/k3d (the schema demands Always with latest)
{{- end }}
{{- if not .root.Values.networkPolicy.enabled }}
checkov.io/skip-networkpolicy: CKV2_K8S_6=NetworkPolicies are opt-in (networkPolicy.enabled) as not every CNI enforces them
{{- end }}
{{- end }}

{{/* Name of the Secret holding the database password. */}}
{{- define "yelb.dbSecretName" -}}
{{- .Values.db.auth.existingSecret | default (include "yelb.name" (dict "root" . "component" "yelb-db-credentials")) -}}
{{- end }}

{{/* Reference to the database password, for env entries. */}}
{{- define "yelb.dbPasswordRef" -}}
valueFrom:
  secretKeyRef:
    name: {{ include "yelb.dbSecretName" . }}
    key: {{ .Values.db.auth.secretKey }}
{{- end }}

{{/* Value combinations the schema cannot express; fail with one clear line. */}}
{{- define "yelb.validate" -}}
{{- $db := include "yelb.name" (dict "root" . "component" "yelb-db") -}}
{{- if gt (len $db) 52 -}}
{{- fail (printf "release name %q is too long: StatefulSet %s must stay within 52 characters (its pods' revision label adds 11), so use at most 44" .Release.Name $db) -}}
{{- end -}}
{{- $as := .Values.autoscaling -}}
{{- if and $as.enabled (gt (int $as.minReplicas) (int $as.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%v) must not exceed autoscaling.maxReplicas (%v)" $as.minReplicas $as.maxReplicas) -}}
{{- end -}}
{{- $pdb := .Values.podDisruptionBudget -}}
{{- $replicas := ternary $as.minReplicas .Values.appserver.replicas $as.enabled -}}
{{- if and $pdb.enabled (ge (int $pdb.minAvailable) (int $replicas)) -}}
{{- fail (printf "podDisruptionBudget.minAvailable (%v) must be below the appserver replicas (%v), or no node could ever be drained" $pdb.minAvailable $replicas) -}}
{{- end -}}
{{- if lt (int .Values.appserver.dbMaxConnections) (int .Values.appserver.workers) -}}
{{- fail (printf "appserver.dbMaxConnections (%v) must be at least appserver.workers (%v): each worker needs a connection" .Values.appserver.dbMaxConnections .Values.appserver.workers) -}}
{{- end -}}
{{- end }}

{{/*
yelb-db's max_connections: the most appserver pods this release runs (the HPA's
maximum, or the replica count) plus the rolling update's surge (the Deployment
default, 25% rounded up), each with its YELB_DB_MAX_CONNECTIONS, plus the 3
superuser_reserved_connections kept for administrators; never below the
image's 200.
*/}}
{{- define "yelb.dbMaxConnections" -}}
{{- $pods := int (ternary .Values.autoscaling.maxReplicas .Values.appserver.replicas .Values.autoscaling.enabled) -}}
{{- $surge := div (add $pods 3) 4 -}}
{{- max 200 (add (mul (add $pods $surge) (int .Values.appserver.dbMaxConnections)) 3) -}}
{{- end }}
