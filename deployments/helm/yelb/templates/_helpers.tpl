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

{{/* An image reference: the public default, or image.registry for every image. */}}
{{- define "yelb.image" -}}
{{- $v := .root.Values -}}
{{- if eq .component "redis" -}}
{{- if $v.image.registry -}}{{ printf "%s/redis:%s" $v.image.registry $v.redis.tag }}{{- else -}}{{ printf "redis:%s" $v.redis.tag }}{{- end -}}
{{- else -}}
{{- printf "%s/%s:%s" ($v.image.registry | default "ghcr.io/yelb-project") .component $v.image.tag -}}
{{- end -}}
{{- end }}

{{/* Pod-level hardening for the restricted Pod Security Standard. */}}
{{- define "yelb.podSecurity" -}}
automountServiceAccountToken: false
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
{{- if and (ne .component "redis-server") (eq .root.Values.image.tag "latest") }}
checkov.io/skip-tag: CKV_K8S_14=The public default tag is latest; set image.tag to pin a release
{{- end }}
{{- if ne .root.Values.image.pullPolicy "Always" }}
checkov.io/skip-pull-policy: CKV_K8S_15=image.pullPolicy is relaxed only with a pinned image.tag (the schema refuses it with latest)
{{- end }}
{{- if not .root.Values.networkPolicy.enabled }}
checkov.io/skip-networkpolicy: CKV2_K8S_6=NetworkPolicies are opt-in (networkPolicy.enabled) as not every CNI enforces them
{{- end }}
{{- end }}

{{/* Name of the Secret holding the database password. */}}
{{- define "yelb.dbSecretName" -}}
{{- .Values.db.auth.existingSecret | default "yelb-db-credentials" -}}
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
{{- $as := .Values.autoscaling -}}
{{- if and $as.enabled (gt (int $as.minReplicas) (int $as.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%v) must not exceed autoscaling.maxReplicas (%v)" $as.minReplicas $as.maxReplicas) -}}
{{- end -}}
{{- $pdb := .Values.podDisruptionBudget -}}
{{- $replicas := ternary $as.minReplicas .Values.appserver.replicas $as.enabled -}}
{{- if and $pdb.enabled (ge (int $pdb.minAvailable) (int $replicas)) -}}
{{- fail (printf "podDisruptionBudget.minAvailable (%v) must be below the appserver replicas (%v), or no node could ever be drained" $pdb.minAvailable $replicas) -}}
{{- end -}}
{{- end }}
