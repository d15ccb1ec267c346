{{/*
Names and labels. Selectors use only app.kubernetes.io/{name,instance,component}: immutable,
never the chart version.
*/}}

{{- define "scribe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "scribe.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "scribe.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object the chart renders. */}}
{{- define "scribe.labels" -}}
helm.sh/chart: {{ include "scribe.chart" . }}
{{ include "scribe.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: scribe
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "scribe.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scribe.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The operator's selector labels (also on its pod). */}}
{{- define "scribe.operator.selectorLabels" -}}
{{ include "scribe.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "scribe.operator.labels" -}}
{{ include "scribe.labels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "scribe.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "scribe.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* registry/repository of an image value. */}}
{{- define "scribe.repository" -}}
{{- if .registry }}{{ printf "%s/%s" .registry .repository }}{{ else }}{{ .repository }}{{ end }}
{{- end }}

{{/* registry/repository[:tag][@digest] of (dict "image" <value> "appVersion" …); the digest
wins when both are set. */}}
{{- define "scribe.imageRef" -}}
{{- $repo := include "scribe.repository" .image }}
{{- if .image.digest }}
{{- printf "%s@%s" $repo .image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .appVersion .image.tag) }}
{{- end }}
{{- end }}

{{/* The operator's image. */}}
{{- define "scribe.image" -}}
{{- include "scribe.imageRef" (dict "image" .Values.image "appVersion" .Chart.AppVersion) }}
{{- end }}

{{/* The image of the bot pods the operator creates (SCRIBE_IMAGE). */}}
{{- define "scribe.botImage" -}}
{{- include "scribe.imageRef" (dict "image" .Values.botImage "appVersion" .Chart.AppVersion) }}
{{- end }}

{{/*
Namespaces whose bots the operator runs: watchNamespaces, or none (= every namespace).
Returns a comma-separated list.
*/}}
{{- define "scribe.watchNamespaces" -}}
{{- join "," (uniq .Values.watchNamespaces) }}
{{- end }}

{{/*
Namespaces that bot pods run in, for the objects that must live beside them (NetworkPolicies):
networkPolicy.botNamespaces, else watchNamespaces, else the release namespace.
*/}}
{{- define "scribe.botNamespaces" -}}
{{- $list := .Values.networkPolicy.botNamespaces }}
{{- if not $list }}{{ $list = .Values.watchNamespaces }}{{ end }}
{{- if not $list }}{{ $list = list .Release.Namespace }}{{ end }}
{{- join "," (uniq $list) }}
{{- end }}

{{/* Operator-created bot pods: the labels desired.rs puts on them (app.kubernetes.io/name=scribe). */}}
{{- define "scribe.botPodSelector" -}}
app.kubernetes.io/name: scribe
app.kubernetes.io/component: {{ . }}
{{- end }}

{{/* The RBAC rules of operator/rbac.yaml (copied byte for byte into files/operator-rbac.yaml). */}}
{{- define "scribe.operatorRules" -}}
{{- $rbac := .Files.Get "files/operator-rbac.yaml" | fromYaml }}
{{- if not $rbac.rules }}
{{- fail "files/operator-rbac.yaml holds no rules: copy operator/rbac.yaml into the chart" }}
{{- end }}
{{- if .Values.watchNamespaces }}
{{- range $rbac.rules }}
{{- if .nonResourceURLs }}
{{- fail "operator/rbac.yaml has a nonResourceURLs rule, which a namespaced Role cannot hold" }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $rbac.rules }}
{{- end }}
