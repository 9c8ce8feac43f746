"""Demo 5, registry switch (05-registry-switch.md): push the images to a private registry and redeploy from it.

It needs Docker images, so it runs against the docker compose stack of this
clone, never natively; on Kubernetes the page shows the commands to type.
The same scripts are what `make e2e-compose` proves in a real Docker engine.
"""

import argparse
import os

import requests

from demos import common
from demos.common import DemoFailed, pause, say, sh, step, wait_for


def run(args):
    compose = os.environ.get("COMPOSE", "docker compose").split()  # COMPOSE=docker-compose for v1
    registry = {"YELB_REGISTRY": args.registry}
    if args.registry.startswith("127.0.0.1:5000/"):
        step(1, "Start a private registry on this machine (compose profile 'registry')",
             "nothing yet: the registry listens on 127.0.0.1:5000")
        sh([*compose, "--profile", "registry", "up", "-d", "registry"], dry_run=args.dry_run)
        pause()

    step(2, "Build the Yelb images from this clone", "docker build output, one image at a time")
    if args.skip_build:
        say("    (--skip-build: using the images already built)")
    else:
        sh(["scripts/docker/images.sh"], timeout=1200, dry_run=args.dry_run)

    step(3, f"Push every image, Redis included, to {args.registry} with tag {args.tag}",
         "one '==> <registry>/<image>:<tag>' line per image, then docker push progress")
    sh(["scripts/docker/push.sh"], env={**registry, "YELB_TAG": args.tag}, timeout=900, dry_run=args.dry_run)
    pause()

    step(4, f"Push the Helm chart beside the images, as oci://{args.registry}/charts/yelb",
         "one '==> oci://<registry>/charts/yelb:<version> (sha256:...)' line")
    sh(["scripts/docker/push-chart.sh"], env=registry, timeout=300, dry_run=args.dry_run)
    pause()

    step(5, f"Redeploy from {args.registry} only", "the image list names the private registry; "
         "the page keeps its votes")
    sh(["scripts/docker/deploy.sh"], env={**registry, "YELB_TAG": args.tag}, timeout=600, dry_run=args.dry_run)
    sh([*compose, "images"], dry_run=args.dry_run)
    if not args.dry_run:
        wait_for("the page answers from the redeployed stack",
                 lambda: requests.get(f"{args.url}/api/version", timeout=5).json()["revision"], timeout=120)
    pause()


def demo_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default="127.0.0.1:5000/yelb",
                        help="registry and project to push to (default 127.0.0.1:5000/yelb, the compose "
                             "'registry' profile)")
    parser.add_argument("--tag", default="demo", help="image tag to push (default demo)")
    parser.add_argument("--skip-build", action="store_true", help="push the images built earlier")
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="the page's address after the redeploy")
    parser.add_argument("--pause", type=float, default=4.0, help="seconds between steps (default 4)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    return parser


if __name__ == "__main__":
    args = demo_arguments().parse_args()
    common.pause_seconds = 0 if args.dry_run else args.pause
    try:
        run(args)
    except DemoFailed as failure:
        raise SystemExit(f"\n!! demo failed: {failure}") from None
