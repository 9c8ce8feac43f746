# Yelb on Nomad: the four tiers as one job, wired together through the
# service catalogue so that scaling a tier never needs an edit.
#
#   nomad job run yelb.nomad.hcl
#   nomad job run -var registry=harbor.example.com/yelb -var tag=1.0.0 yelb.nomad.hcl
#   nomad job run -var service_provider=consul yelb.nomad.hcl   # Consul catalogue instead
#
# Needs Nomad >= 1.5 (built-in service checks, Nomad Variables, datacenter
# wildcards) with the Docker driver, and a client host volume named
# var.db_volume (agent-dev.hcl declares one for a dev agent). README.md has
# the walk-through.

variable "datacenters" {
  description = "Datacenters the job may be placed in."
  type        = list(string)
  default     = ["*"]
}

variable "registry" {
  description = "Registry and path holding every image of the job: yelb-ui, yelb-appserver, yelb-db and the redis:7-alpine mirror."
  type        = string
  default     = "ghcr.io/yelb-project"

  # Nomad prints error_message as written (it cannot quote the value), so it
  # names the variable and the rule the value broke.
  validation {
    condition     = !can(regex("^[A-Za-z][A-Za-z0-9+.-]*://", var.registry))
    error_message = "The registry variable must not start with a scheme such as https://: give host[:port]/path, e.g. harbor.example.com/yelb."
  }

  validation {
    condition     = can(regex("^[^/\\s]+(/[^/\\s]+)*$", var.registry))
    error_message = "The registry variable must be host[:port] with an optional path, without spaces or a trailing slash, e.g. harbor.example.com/yelb."
  }
}

variable "tag" {
  description = "Image tag of the Yelb images: the release version."
  type        = string
  default     = "1.0.0"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.tag))
    error_message = "The tag variable must be a Docker tag: letters, digits, '_', '.' and '-', at most 128 characters, e.g. 1.0.0."
  }
}

variable "color" {
  description = "CSS colour the page draws the appservers' answers in (YELB_COLOR); empty: derived from the tag."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[#A-Za-z0-9(),.%/ -]{0,64}$", var.color))
    error_message = "The color variable must be a CSS colour of at most 64 characters, e.g. #1a56db or teal."
  }
}

variable "options" {
  description = "What the room votes on (YELB_OPTIONS): name, name=Label or name=Label|Tagline, comma separated; empty: the four original restaurants."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^$|^[a-z0-9][a-z0-9_-]{0,29}(=[^,]*)?(,[a-z0-9][a-z0-9_-]{0,29}(=[^,]*)?)*$", var.options))
    error_message = "The options variable must be a comma list of name, name=Label or name=Label|Tagline, names of 1-30 of a-z, 0-9, - and _, e.g. kubernetes=Kubernetes,nomad=Nomad."
  }
}

variable "question" {
  description = "The question above the options, on the page and the presenter view (YELB_QUESTION)."
  type        = string
  default     = "Where should we go for lunch?"

  validation {
    condition     = can(regex("\\S", var.question)) && can(regex("^(?s).{1,120}$", var.question))
    error_message = "The question variable must not be empty and must be at most 120 characters long."
  }
}

variable "public_url" {
  description = "Address the audience's phones open, drawn as the QR code (YELB_PUBLIC_URL); empty: the page's own address."
  type        = string
  default     = ""

  validation {
    condition     = var.public_url == "" || (can(regex("^.{0,200}$", var.public_url)) && can(regex("^https?://[^\\s/?#]+([/?#]\\S*)?$", var.public_url)))
    error_message = "The public_url variable must be empty or an http:// or https:// URL with a host, at most 200 characters, e.g. https://vote.example.org/."
  }
}

variable "appserver_count" {
  description = "Appserver allocations to start with (nomad job scale changes it at run time)."
  type        = number
  default     = 2

  validation {
    condition     = var.appserver_count >= 1
    error_message = "The appserver_count must be at least 1."
  }
}

variable "appserver_max_count" {
  description = "Upper bound for nomad job scale and the autoscaler."
  type        = number
  default     = 10
}

variable "ui_count" {
  description = "UI allocations; each binds ui_port on its node, so at most one per client."
  type        = number
  default     = 1

  validation {
    condition     = var.ui_count >= 1
    error_message = "The ui_count must be at least 1."
  }
}

variable "ui_port" {
  description = "Host port the UI listens on (the container listens on 8080)."
  type        = number
  default     = 8080
}

variable "service_provider" {
  description = "Service catalogue: nomad (built in) or consul (clusters with Consul)."
  type        = string
  default     = "nomad"

  validation {
    condition     = contains(["nomad", "consul"], var.service_provider)
    error_message = "The service_provider must be nomad or consul."
  }
}

variable "db_volume" {
  description = "Name of the client host volume holding PostgreSQL's data."
  type        = string
  default     = "yelb-db"
}

locals {
  # The two catalogues answer the same question through different template
  # functions; both return entries with .Address and .Port. Consul's only
  # lists instances whose checks pass, Nomad's lists every registration.
  catalogue = var.service_provider == "consul" ? "service" : "nomadService"

  # Both tasks that need the database password read it from this Nomad
  # Variable (every task of job "yelb" may read nomad/jobs/yelb); without it
  # they fall back to the image's documented demo password.
  password_template = <<-EOT
    {{- if nomadVarExists "nomad/jobs/yelb" }}{{ with nomadVar "nomad/jobs/yelb" }}{{ .db_password }}{{ end }}
    {{- else }}postgres_password{{ end }}
  EOT
}

job "yelb" {
  datacenters = var.datacenters
  type        = "service"

  # Rolling updates: one allocation at a time, each must pass its checks for
  # min_healthy_time before the next one is replaced; a release that never
  # turns healthy is rolled back to the last good version.
  update {
    max_parallel      = 1
    health_check      = "checks"
    min_healthy_time  = "10s"
    healthy_deadline  = "3m"
    progress_deadline = "10m"
    auto_revert       = true
  }

  # Every group: once a task has spent its restart attempts (restart mode
  # "fail"; "delay" would restart it in place for ever and never get here),
  # the allocation fails and is placed again, elsewhere if possible, backing
  # off up to 10 minutes.
  reschedule {
    delay          = "30s"
    delay_function = "exponential"
    max_delay      = "10m"
    unlimited      = true
  }

  group "db" {
    count = 1

    network {
      port "db" {
        to = 5432
      }
    }

    # The client's host volume; PostgreSQL keeps its data across allocations.
    volume "data" {
      type      = "host"
      source    = var.db_volume
      read_only = false
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "15s"
      mode     = "fail"
    }

    task "yelb-db" {
      driver = "docker"
      # The image's postgres user; the host volume directory must belong to it.
      user = "999:999"

      config {
        image           = "${var.registry}/yelb-db:${var.tag}"
        ports           = ["db"]
        readonly_rootfs = true
        cap_drop        = ["ALL"]
        security_opt    = ["no-new-privileges"]

        # PostgreSQL's socket directory and scratch space on a read-only image.
        mount {
          type   = "tmpfs"
          target = "/var/run/postgresql"
          tmpfs_options {
            size = 16777216
          }
        }
        mount {
          type   = "tmpfs"
          target = "/tmp"
          tmpfs_options {
            size = 67108864
          }
        }
      }

      volume_mount {
        volume      = "data"
        destination = "/var/lib/postgresql/data"
        read_only   = false
      }

      env {
        # A subdirectory: a volume root may hold lost+found, which initdb refuses.
        PGDATA = "/var/lib/postgresql/data/pgdata"
      }

      # Read once, when initdb creates the cluster on an empty volume.
      template {
        destination = "secrets/db.env"
        env         = true
        change_mode = "noop"
        data        = "POSTGRES_PASSWORD=${local.password_template}"
      }

      kill_timeout = "30s"

      service {
        name     = "yelb-db"
        port     = "db"
        provider = var.service_provider

        check {
          name     = "postgres-tcp"
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }
      }

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }

  group "cache" {
    count = 1

    network {
      port "redis" {
        to = 6379
      }
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "10s"
      mode     = "fail"
    }

    task "redis-server" {
      driver = "docker"
      user   = "10001:10001"

      config {
        image           = "${var.registry}/redis:7-alpine"
        ports           = ["redis"]
        readonly_rootfs = true
        cap_drop        = ["ALL"]
        security_opt    = ["no-new-privileges"]
        # Page views are a cache: no snapshots; the working directory is a tmpfs.
        # Appservers on other clients connect without a password, which Redis's
        # protected mode refuses unless it is off (the stock image's build turns
        # it off; a mirror built from another Redis may not).
        args = ["redis-server", "--save", "", "--appendonly", "no", "--protected-mode", "no"]

        mount {
          type   = "tmpfs"
          target = "/data"
          tmpfs_options {
            size = 67108864
          }
        }
      }

      service {
        name     = "redis-server"
        port     = "redis"
        provider = var.service_provider

        check {
          name     = "redis-tcp"
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }

  group "appserver" {
    count = var.appserver_count

    # Bounds for `nomad job scale yelb appserver N`; the policy is read by
    # the Nomad Autoscaler when one runs, and ignored otherwise.
    scaling {
      enabled = true
      min     = 1
      max     = var.appserver_max_count

      policy {
        cooldown            = "1m"
        evaluation_interval = "30s"

        check "cpu" {
          source = "nomad-apm"
          query  = "avg_cpu-allocated"

          strategy "target-value" {
            target = 70
          }
        }
      }
    }

    network {
      port "http" {
        to = 4567
      }
    }

    restart {
      attempts = 3
      interval = "2m"
      delay    = "5s"
      mode     = "fail"
    }

    task "yelb-appserver" {
      driver = "docker"
      user   = "10001:10001"

      config {
        image           = "${var.registry}/yelb-appserver:${var.tag}"
        ports           = ["http"]
        readonly_rootfs = true
        cap_drop        = ["ALL"]
        security_opt    = ["no-new-privileges"]

        # Fresh per container start, so no stale per-worker metric files.
        mount {
          type   = "tmpfs"
          target = "/tmp"
          tmpfs_options {
            size = 67108864
          }
        }
      }

      env {
        # Sized to the CPU reservation, not to the node's cores gunicorn would see.
        YELB_APPSERVER_WORKERS = "2"
        # yelb-db's role with only the app's privileges (not the superuser).
        YELB_DB_USER = "yelb"
        # Stay up but unready after SIGTERM while the catalogue entry is withdrawn;
        # this plus the 20 s graceful drain fits inside kill_timeout.
        YELB_SHUTDOWN_DELAY      = "5"
        PROMETHEUS_MULTIPROC_DIR = "/tmp/metrics"
        # The room; empty options or URL: the appserver's defaults.
        YELB_OPTIONS    = "${var.options}"
        YELB_QUESTION   = "${var.question}"
        YELB_PUBLIC_URL = "${var.public_url}"
        # The release the page colours this replica's answers by: the image tag.
        YELB_VERSION = "${var.tag}"
        YELB_COLOR   = "${var.color}"
        # Where am I: Nomad gives NOMAD_ALLOC_NAME, NOMAD_JOB_NAME, NOMAD_DC and NOMAD_REGION
        # itself; the node's name only through interpolation.
        YELB_NODE_NAME = "${node.unique.name}"
      }

      # Upstream addresses from the catalogue; a change (database moved,
      # Redis rescheduled) restarts the task with the new environment. Until
      # a tier is registered its variable keeps the image default host, which
      # does not resolve here: the replica reports unready instead of falling
      # back to its embedded SQLite store and splitting the votes.
      template {
        destination = "local/upstreams.env"
        env         = true
        change_mode = "restart"
        splay       = "5s"
        data        = <<-EOT
          {{- range ${local.catalogue} "yelb-db" }}
          YELB_DB_SERVER_ENDPOINT={{ .Address }}
          YELB_DB_PORT={{ .Port }}
          {{- else }}
          YELB_DB_SERVER_ENDPOINT=yelb-db
          {{- end }}
          {{- range ${local.catalogue} "redis-server" }}
          REDIS_SERVER_ENDPOINT={{ .Address }}
          REDIS_SERVER_PORT={{ .Port }}
          {{- else }}
          REDIS_SERVER_ENDPOINT=redis-server
          {{- end }}
        EOT
      }

      template {
        destination = "secrets/db.env"
        env         = true
        change_mode = "restart"
        data        = "YELB_DB_PASSWORD=${local.password_template}"
      }

      # Deregister first, then stop: the UIs drop this replica from their
      # upstream list before it receives SIGTERM.
      shutdown_delay = "5s"
      kill_timeout   = "30s"

      service {
        name     = "yelb-appserver"
        port     = "http"
        provider = var.service_provider

        # Readiness: gates rolling updates; an unready replica is reported, not killed.
        check {
          name     = "appserver-ready"
          type     = "http"
          path     = "/readyz"
          interval = "5s"
          timeout  = "3s"
        }

        # Liveness: a process that stops answering is restarted.
        check {
          name     = "appserver-alive"
          type     = "http"
          path     = "/healthz"
          interval = "10s"
          timeout  = "2s"

          check_restart {
            limit = 3
            grace = "20s"
          }
        }
      }

      resources {
        cpu    = 500
        memory = 384
      }
    }
  }

  group "ui" {
    count = var.ui_count

    network {
      port "http" {
        static = var.ui_port
        to     = 8080
      }
    }

    restart {
      attempts = 3
      interval = "2m"
      delay    = "5s"
      mode     = "fail"
    }

    task "yelb-ui" {
      driver = "docker"
      user   = "10001:10001"

      config {
        image           = "${var.registry}/yelb-ui:${var.tag}"
        ports           = ["http"]
        readonly_rootfs = true
        cap_drop        = ["ALL"]
        security_opt    = ["no-new-privileges"]

        # nginx writes its pid, temp bodies and the rendered config here.
        mount {
          type   = "tmpfs"
          target = "/tmp"
          tmpfs_options {
            size = 67108864
          }
        }
      }

      # Every registered appserver, as the comma list the UI's nginx turns
      # into an upstream group (round robin, a failing replica skipped for
      # 2 s). The task reads it as its environment at start. When the list
      # changes (scaling, a replica moving), Nomad rewrites the file and runs
      # the image's reload.sh inside the container: nginx renders its
      # configuration from the new list and reloads in place, so the page
      # keeps answering. A failed reload leaves the old list serving and shows
      # as a task event. With no appserver registered the UI keeps its default
      # URL: the page loads and /api answers 502 until one registers.
      template {
        destination = "local/appservers.env"
        env         = true
        change_mode = "script"
        data        = <<-EOT
          YELB_APPSERVER_ENDPOINT=
          {{- range $index, $appserver := ${local.catalogue} "yelb-appserver" -}}
            {{ if $index }},{{ end }}http://{{ $appserver.Address }}:{{ $appserver.Port }}
          {{- else -}}
            http://yelb-appserver:4567
          {{- end }}
        EOT

        change_script {
          command       = "/opt/yelb-ui/reload.sh"
          args          = ["/local/appservers.env"]
          timeout       = "20s"
          fail_on_error = false
        }
      }

      service {
        name     = "yelb-ui"
        port     = "http"
        provider = var.service_provider

        check {
          name     = "ui-alive"
          type     = "http"
          path     = "/healthz"
          interval = "10s"
          timeout  = "2s"

          check_restart {
            limit = 3
            grace = "10s"
          }
        }
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
