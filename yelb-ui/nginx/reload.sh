#!/bin/sh
# Makes the running UI front follow a new appserver list without a restart: reads
# YELB_APPSERVER_ENDPOINT from an env file (NAME=value lines, as a Nomad template writes
# it), renders the configuration again with render-config.sh, and has nginx reload it in
# place (new workers take the new list, old ones finish their requests). A bad list stops
# here with render-config.sh's message, and nginx keeps serving the old one.
#
#   reload.sh /local/appservers.env
set -eu
here=$(cd "$(dirname "$0")" && pwd)
endpoints=$(sed -n 's/^YELB_APPSERVER_ENDPOINT=//p' "$1" | tail -n 1)
[ -n "$endpoints" ] || { echo "yelb-ui: $1 sets no YELB_APPSERVER_ENDPOINT" >&2; exit 64; }
YELB_APPSERVER_ENDPOINT=$endpoints "$here/render-config.sh"
runtime_dir=${YELB_UI_RUNTIME_DIR:-/tmp/yelb-ui}
exec nginx -p "$runtime_dir" -c "$runtime_dir/nginx.conf" -e stderr -s reload
