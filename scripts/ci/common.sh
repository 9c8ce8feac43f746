# shellcheck shell=bash
# Shared settings and helpers of the CI scripts (sourced, not run).
#
# The image scripts' settings come first (scripts/docker/common.sh): YELB_ROOT,
# YELB_VERSION, and YELB_REGISTRY / YELB_TAG, whose defaults are what the
# release publishes and what every deployment file names by default.
# REDIS_SOURCE_IMAGE is the stock Redis image the release mirrors as REDIS_IMAGE.

# shellcheck source=../docker/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../docker/common.sh"

# shellcheck disable=SC2034  # sourced: build-images.sh and mirror-redis.sh use it
REDIS_SOURCE_IMAGE=redis:$YELB_REDIS_TAG
REDIS_IMAGE=$YELB_REGISTRY/redis:$YELB_REDIS_TAG

say() { printf '==> %s\n' "$*"; }

# as_root COMMAND...: GitHub's runners run the job as a user with sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# fail MESSAGE: one line saying what went wrong, then stop.
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# built_image_for REF: the image built here that a deployment's REF stands
# for. A REF under the default registry must be exactly that image (anything
# else would not exist once released); a REF elsewhere (a private registry in
# an overlay) is the same image under another name.
built_image_for() {
	local ref=$1 name built
	case $ref in *@*) fail "$ref: pinned by digest, cannot stand for an image built here" ;; esac
	name=${ref##*/}
	name=${name%%:*}
	case $name in
	yelb-ui | yelb-appserver | yelb-db | yelb-loadgen) built=$YELB_REGISTRY/$name:$YELB_TAG ;;
	redis) built=$REDIS_IMAGE ;;
	*) fail "$ref: not an image Yelb builds or mirrors" ;;
	esac
	if [ "${ref%/*}" = "$YELB_REGISTRY" ] && [ "$ref" != "$built" ]; then
		fail "$ref: the release publishes $built, so this default would not pull"
	fi
	echo "$built"
}

# rendered_images FILE: every image a rendered manifest file names, once.
rendered_images() {
	sed -n -E "s/^[[:space:]-]*image:[[:space:]]*[\"']?([^\"' ]+)[\"']?[[:space:]]*$/\1/p" "$1" | sort -u
}

# The UI is reached with UI_CURL (a curl command; the kind script runs it
# inside the cluster) at UI_URL.
UI_CURL=(curl)
UI_URL=${UI_URL:-}

ui_request() {
	"${UI_CURL[@]}" --silent --show-error --fail --max-time 10 "$@"
}

# wait_for_api: the UI's /api answers (nginx reaches an appserver) within
# YELB_CI_API_WAIT seconds (default 90).
wait_for_api() {
	local wait=${YELB_CI_API_WAIT:-90} answer
	local deadline=$((SECONDS + wait))
	until answer=$(ui_request "$UI_URL/api/getvotes" 2>&1); do
		[ "$SECONDS" -lt "$deadline" ] || fail "$UI_URL/api/getvotes still fails after $wait s: $answer"
		sleep 3
	done
}

votes_for() { # OPTION
	ui_request "$UI_URL/api/getvotes" | jq -e --arg option "$1" '.[] | select(.name == $option) | .value'
}

# vote_through_ui: the page loads, and a vote cast through the UI for the
# first option moves that option's count by exactly one.
vote_through_ui() {
	local page option before after
	page=$(ui_request "$UI_URL/") || fail "$UI_URL/ does not answer"
	case $page in *"<html"*) ;; *) fail "$UI_URL/ answers, but not with the page" ;; esac
	wait_for_api
	option=$(ui_request "$UI_URL/api/options" | jq -er '.[0].name') || fail "$UI_URL/api/options lists no option"
	before=$(votes_for "$option") || fail "$UI_URL/api/getvotes has no count for $option"
	ui_request -X POST "$UI_URL/api/votes/$option" >/dev/null || fail "POST $UI_URL/api/votes/$option failed"
	after=$(votes_for "$option")
	[ "$after" -eq $((before + 1)) ] || fail "a vote for $option through $UI_URL moved its count from $before to $after"
	say "voted for $option through $UI_URL: $before -> $after"
}
