"""Demo 5, registry switch: push the images to a private registry and redeploy from it.

Needs Docker, so it runs against compose (default) or kubernetes, never natively.
The same scripts (scripts/docker/images.sh, push.sh, push-chart.sh, deploy.sh) are
what `make e2e-compose` proves end to end in a real Docker engine.
"""

from demos import watch
from demos.runbook import DemoFailed, run

LOCAL_REGISTRY = "127.0.0.1:5000/yelb"


def demo(book, target, args):
    if args.registry == LOCAL_REGISTRY:
        if target.name == "kubernetes":
            raise DemoFailed("a cluster cannot pull from this machine's 127.0.0.1: "
                             "pass --registry with a registry the nodes reach")
        book.step("Start a private registry on this machine (compose profile 'registry')",
                  "nothing yet: the registry listens on 127.0.0.1:5000")
        target.sh([*target.compose, "--profile", "registry", "up", "-d", "registry"])
        book.pause()

    if args.skip_build:
        book.say("\n    (--skip-build: using the images already built)")
    else:
        book.step("Build the Yelb images from this clone", "docker build output, one image at a time")
        target.sh(["scripts/docker/images.sh"], timeout=1200)

    book.step(f"Push every image, Redis included, to {args.registry} with tag {args.tag}",
              "one '==> <registry>/<image>:<tag>' line per image, then docker push progress")
    target.sh(["scripts/docker/push.sh"], env={"YELB_REGISTRY": args.registry, "YELB_TAG": args.tag}, timeout=900)
    book.pause()

    book.step(f"Push the Helm chart beside the images, as oci://{args.registry}/charts/yelb",
              "one '==> oci://<registry>/charts/yelb:<version> (sha256:...)' line")
    target.sh(["scripts/docker/push-chart.sh"], env={"YELB_REGISTRY": args.registry}, timeout=300)
    book.pause()

    book.step(f"Redeploy from {args.registry} only",
              "the image list names the private registry; the page keeps its votes")
    target.deploy_from_registry(args.registry, args.tag)
    book.expect(target, "the page answers from the redeployed stack", lambda: watch.version(target.url),
                lambda version: "revision" in version, timeout=120)
    book.pause()
    book.done("redeploy from the public images: scripts/docker/deploy.sh with no YELB_REGISTRY "
              "(or kubectl apply -f deployments/kubernetes/yelb.yaml)")


def options(arguments):
    arguments.add_argument("--registry", default=LOCAL_REGISTRY,
                           help=f"registry and project to push to (default {LOCAL_REGISTRY}, "
                                "the compose 'registry' profile)")
    arguments.add_argument("--tag", default="demo", help="image tag to push (default demo)")
    arguments.add_argument("--skip-build", action="store_true", help="push the images built earlier")


if __name__ == "__main__":
    raise SystemExit(run("Registry switch: push to a private registry and redeploy", demo,
                         configure=options, native=False, default_timeout=2400))
