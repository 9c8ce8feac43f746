#!/bin/sh
# Renders the Yelb UI front's nginx configuration from the environment into
# $YELB_UI_RUNTIME_DIR (nginx.conf, upstream.conf, public/config.json and the temp
# directories). A bad setting stops it with one line naming the variable.
#
#   YELB_APPSERVER_ENDPOINT  http://host:port of the appserver (default http://yelb-appserver:4567);
#                            a comma-separated list makes an upstream group of replicas
#   YELB_UI_PORT             port nginx listens on (default 8080)
#   YELB_UI_LEGACY_PORT      also listen on this port when this user may bind it (empty: no; the
#                            image sets 80, the original Yelb UI's port, which its deployment files use)
#   YELB_UI_STATIC_DIR       the page's files, yelb-ui/public (default /usr/share/yelb-ui)
#   YELB_UI_RUNTIME_DIR      the one writable directory (default /tmp/yelb-ui)
#   YELB_UI_REFRESH_SECONDS  how often the page refreshes, 1-300 (default 5)
#   YELB_RESOLVER            DNS servers for the appserver name (default: nameservers in /etc/resolv.conf)
#   YELB_UI_VOTE_RATE        votes a second per client address, 1-10000 (default 30)
#   YELB_UI_VOTE_BURST       votes over that rate answered at once before the 429s, 0-10000 (default 60)
#   YELB_UI_CONNECTIONS_PER_CLIENT  requests in progress per client address, 1-10000 (default 128)
#   YELB_UI_TRUSTED_PROXIES  addresses or CIDRs of proxies whose X-Forwarded-For names the client
#                            (an ingress, a load balancer), separated by commas (default: none)
#
# A short appserver name (fewer dots than resolv.conf's ndots, e.g. `yelb-appserver` in a
# Kubernetes pod) is expanded here through resolv.conf's search list, as the system resolver
# would: nginx resolves the name itself at request time and never applies the search list, and
# cluster DNS answers only fully qualified names.
set -euf # -f: no file name globbing, values are split on commas and spaces only

here=$(cd "$(dirname "$0")" && pwd)
endpoints=${YELB_APPSERVER_ENDPOINT:-http://yelb-appserver:4567}
port=${YELB_UI_PORT:-8080}
legacy_port=${YELB_UI_LEGACY_PORT:-}
static_dir=${YELB_UI_STATIC_DIR:-/usr/share/yelb-ui}
runtime_dir=${YELB_UI_RUNTIME_DIR:-/tmp/yelb-ui}
refresh=${YELB_UI_REFRESH_SECONDS:-5}
resolvers=${YELB_RESOLVER:-$(awk '$1 == "nameserver" { print $2 }' /etc/resolv.conf 2>/dev/null || true)}
vote_rate=${YELB_UI_VOTE_RATE:-30}
vote_burst=${YELB_UI_VOTE_BURST:-60}
connections_per_client=${YELB_UI_CONNECTIONS_PER_CLIENT:-128}
trusted_proxies=${YELB_UI_TRUSTED_PROXIES:-}

fail() {
    echo "yelb-ui: $*" >&2
    exit 64
}

# in_range VALUE LOW HIGH: VALUE is a whole number from LOW to HIGH.
in_range() {
    case $1 in '' | *[!0-9]*) return 1 ;; esac
    [ "${#1}" -le 5 ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

in_range "$port" 1 65535 || fail "YELB_UI_PORT must be a port number from 1 to 65535, got '$port'"
[ -z "$legacy_port" ] || in_range "$legacy_port" 1 65535 ||
    fail "YELB_UI_LEGACY_PORT must be empty or a port number from 1 to 65535, got '$legacy_port'"
in_range "$refresh" 1 300 || fail "YELB_UI_REFRESH_SECONDS must be whole seconds from 1 to 300, got '$refresh'"
in_range "$vote_rate" 1 10000 || fail "YELB_UI_VOTE_RATE must be votes a second from 1 to 10000, got '$vote_rate'"
in_range "$vote_burst" 0 10000 || fail "YELB_UI_VOTE_BURST must be a whole number from 0 to 10000, got '$vote_burst'"
in_range "$connections_per_client" 1 10000 ||
    fail "YELB_UI_CONNECTIONS_PER_CLIENT must be a whole number from 1 to 10000, got '$connections_per_client'"
real_ip_lines=""
old_ifs=$IFS
IFS=,
for proxy in $trusted_proxies; do
    IFS=$old_ifs
    proxy=$(echo "$proxy" | tr -d ' ')
    echo "$proxy" | grep -Eq '^(([0-9]{1,3}\.){3}[0-9]{1,3}(/[0-9]{1,2})?|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(/[0-9]{1,3})?)$' ||
        fail "YELB_UI_TRUSTED_PROXIES must be IP addresses or CIDRs separated by commas, got '$proxy'"
    real_ip_lines="$real_ip_lines set_real_ip_from $proxy;"
done
IFS=$old_ifs
[ -z "$real_ip_lines" ] || real_ip_lines="$real_ip_lines real_ip_header X-Forwarded-For; real_ip_recursive on;"
# Both paths are pasted into nginx.conf, so they may hold only plain path characters.
for setting in "YELB_UI_STATIC_DIR=$static_dir" "YELB_UI_RUNTIME_DIR=$runtime_dir"; do
    case ${setting#*=} in
        /*[!A-Za-z0-9._/-]* | [!/]* | '') fail "${setting%%=*} must be an absolute path of letters, digits, '.', '_', '-' and '/', got '${setting#*=}'" ;;
    esac
done
[ -f "$static_dir/index.html" ] || fail "YELB_UI_STATIC_DIR must be the folder with the page's index.html, got '$static_dir'"

# Checks one endpoint and prints it as host:port (port 80 when the URL has none).
host_port() {
    case $1 in http://*) ;; *) return 1 ;; esac
    address=${1#http://}
    address=${address%/}
    case $address in
        \[*\]) endpoint_host=$address endpoint_port=80 ;;
        \[*\]:*) endpoint_host=${address%%\]:*}] endpoint_port=${address#*\]:} ;;
        *:*) endpoint_host=${address%%:*} endpoint_port=${address#*:} ;;
        *) endpoint_host=$address endpoint_port=80 ;;
    esac
    # A name of letters, digits, '.' and '-', or an IPv6 address in brackets.
    case $endpoint_host in
        \[*\]) inside=${endpoint_host#\[}; inside=${inside%\]}
            case $inside in '' | *[!0-9A-Fa-f:.]*) return 1 ;; esac ;;
        '' | *[!A-Za-z0-9.-]*) return 1 ;;
    esac
    in_range "$endpoint_port" 1 65535 || return 1
    echo "$endpoint_host:$endpoint_port"
}

is_ip_address() {
    echo "$1" | grep -Eq '^([0-9]{1,3}\.){3}[0-9]{1,3}$|^\['
}

# The system resolver's view from /etc/resolv.conf: the search list (the last `search` or
# `domain` line wins) and ndots (default 1).
search_domains=$(awk '$1 == "search" || $1 == "domain" { $1 = ""; list = $0 } END { print list }' /etc/resolv.conf 2>/dev/null || true)
ndots=$(awk '$1 == "options" { for (i = 2; i <= NF; i++) if ($i ~ /^ndots:[0-9]+$/) n = substr($i, 7) } END { print n == "" ? 1 : n }' /etc/resolv.conf 2>/dev/null || echo 1)

# qualified_name NAME: the name the system resolver would settle on. A name with fewer dots
# than ndots is tried under each search domain first, then as given, and the first that
# resolves wins; when none resolves yet, the first one the resolver would try.
qualified_name() {
    candidates=$1
    dots=$(printf '%s' "$1" | tr -cd . | wc -c)
    if [ "$dots" -lt "$ndots" ]; then
        candidates=""
        for domain in $search_domains; do candidates="$candidates $1.${domain%.}"; done
        candidates="$candidates $1"
    fi
    for candidate in $candidates; do
        # A trailing dot makes getent look up exactly the expanded name, with no search of its
        # own; the name as given is looked up as is, so /etc/hosts entries count too.
        lookup=$candidate.
        [ "$candidate" != "$1" ] || lookup=$candidate
        if getent ahosts "$lookup" >/dev/null 2>&1; then
            echo "$candidate"
            return
        fi
    done
    # shellcheck disable=SC2086 # split on spaces; -f keeps it from globbing
    set -- $candidates
    echo "$1"
}

servers=""
count=0
needs_resolver=false
old_ifs=$IFS
IFS=,
for endpoint in $endpoints; do
    IFS=$old_ifs
    endpoint=$(echo "$endpoint" | tr -d ' ')
    server=$(host_port "$endpoint") ||
        fail "YELB_APPSERVER_ENDPOINT must be http://host:port URLs separated by commas, got '$endpoint'"
    if ! is_ip_address "${server%:*}"; then
        needs_resolver=true
        server="$(qualified_name "${server%:*}"):${server##*:}"
    fi
    servers="$servers $server"
    count=$((count + 1))
done
IFS=$old_ifs
[ "$count" -gt 0 ] || fail "YELB_APPSERVER_ENDPOINT must name at least one http://host:port URL"

mkdir -p "$runtime_dir/public" "$runtime_dir/client_body" "$runtime_dir/proxy" \
    "$runtime_dir/fastcgi" "$runtime_dir/uwsgi" "$runtime_dir/scgi"

if [ "$count" -eq 1 ]; then
    # One endpoint: a variable in proxy_pass, so the name is resolved per request, not at start.
    appserver="http://${servers# }"
    : > "$runtime_dir/upstream.conf"
else
    # Several endpoints (names resolved once, at start): a group with passive health checks.
    # A replica that fails once is skipped for 2 s, then tried again; the zone makes
    # every nginx worker share that view of the replicas. No `keepalive` on
    # purpose: a vote sent on an idle pooled connection to a replica that just died counts
    # as "sent", so nginx may not retry it; a fresh connection is refused and safely retried.
    appserver=http://yelb_appservers
    needs_resolver=false
    {
        echo "upstream yelb_appservers {"
        echo "    zone yelb_appservers 64k;"
        for server in $servers; do
            echo "    server $server max_fails=1 fail_timeout=2s;"
        done
        echo "}"
    } > "$runtime_dir/upstream.conf"
fi

resolver_line=""
for address in $resolvers; do
    case $address in \[* | *=*) ;; *:*:*) address="[$address]" ;; esac # bare IPv6 addresses need brackets
    resolver_line="$resolver_line $address"
done
if [ -n "$resolver_line" ]; then
    resolver_line="resolver$resolver_line valid=10s; resolver_timeout 2s;"
elif [ "$needs_resolver" = true ]; then
    fail "YELB_RESOLVER must name a DNS server: /etc/resolv.conf has no nameserver to resolve '$endpoints'"
fi

# The legacy port is a courtesy: a non-root user may bind it only where the kernel allows
# (Docker lowers ip_unprivileged_port_start to 0; Kubernetes usually doesn't), and the front
# must start either way.
listen="listen $port;"
if [ -n "$legacy_port" ] && [ "$legacy_port" != "$port" ]; then
    unprivileged_from=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
    if [ "$(id -u)" -eq 0 ] || [ "$legacy_port" -ge "$unprivileged_from" ]; then
        listen="$listen listen $legacy_port;"
    else
        echo "yelb-ui: not listening on YELB_UI_LEGACY_PORT $legacy_port: this user may bind ports from $unprivileged_from only; serving on $port" >&2
    fi
fi

printf '{\n  "refreshSeconds": %s\n}\n' "$refresh" > "$runtime_dir/public/config.json"

sed -e "s#@RUNTIME_DIR@#$runtime_dir#g" \
    -e "s#@STATIC_DIR@#$static_dir#g" \
    -e "s#@LISTEN@#$listen#g" \
    -e "s#@APPSERVER@#$appserver#g" \
    -e "s#@RESOLVER_LINE@#$resolver_line#g" \
    -e "s#@REAL_IP_LINES@#$real_ip_lines#g" \
    -e "s#@VOTE_RATE@#$vote_rate#g" \
    -e "s#@VOTE_BURST@#$vote_burst#g" \
    -e "s#@CONNECTIONS_PER_CLIENT@#$connections_per_client#g" \
    "$here/nginx.conf.template" > "$runtime_dir/nginx.conf"
