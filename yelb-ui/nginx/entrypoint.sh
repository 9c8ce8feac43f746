#!/bin/sh
# Container entrypoint of the Yelb UI front: render the configuration from the
# environment (see render-config.sh), then run nginx in the foreground as PID 1.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
"$here/render-config.sh"
runtime_dir=${YELB_UI_RUNTIME_DIR:-/tmp/yelb-ui}
exec nginx -p "$runtime_dir" -c "$runtime_dir/nginx.conf" -e stderr -g 'daemon off;'
