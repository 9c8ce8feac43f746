# Extra settings for a single-node dev agent running the Yelb job:
#
#   sudo install -d -o 999 -g 999 -m 0700 /opt/nomad/volumes/yelb-db
#   sudo nomad agent -dev -bind 0.0.0.0 \
#     -network-interface='{{ GetDefaultInterfaces | attr "name" }}' \
#     -config=agent-dev.hcl

client {
  # PostgreSQL's data (yelb.nomad.hcl: var.db_volume). The directory must
  # exist before the agent starts and belong to the image's postgres user.
  host_volume "yelb-db" {
    path      = "/opt/nomad/volumes/yelb-db"
    read_only = false
  }
}

plugin "docker" {
  config {
    # Pulls from private registries with the credentials of `docker login`.
    auth {
      config = "/root/.docker/config.json"
    }
  }
}
