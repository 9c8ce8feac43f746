"""The appserver task learns where it runs from what a Nomad client gives it: the
NOMAD_* variables of its allocation and the node's name interpolated into its env
block (the stand-in client of tests/nomad/e2e.py builds both as Nomad does)."""

from yelb_appserver.config import Config
from yelb_appserver.whereami import describe

from tests.nomad.e2e import DATACENTER, NODE_NAME, REGION, Client
from tests.nomad.nomad_job import load_job


def test_the_appserver_reports_its_allocation_job_node_and_datacenter(tmp_path):
    job = load_job()
    client = Client(job, tmp_path)
    client.address = "192.0.2.10"
    group = job.groups["appserver"]
    ((_, task),) = group.tasks.items()
    nomad_env = client.nomad_env(group, task, 1, {"http": 24567})
    environment = {**nomad_env, **client.interpolate(task.env, nomad_env)}
    where = describe(Config.from_env(environment), "3f2a9c1b7e4d")
    assert {key: where[key] for key in ("orchestrator", "instance", "node", "group", "zone", "region")} == {
        "orchestrator": "nomad", "instance": "yelb.appserver[1]", "node": NODE_NAME, "group": "yelb",
        "zone": DATACENTER, "region": REGION}
    assert where["terms"] == {"instance": "allocation", "group": "job", "zone": "datacenter"}


def test_the_client_gives_the_documented_task_variables(tmp_path):
    job = load_job()
    client = Client(job, tmp_path)
    client.address = "192.0.2.10"
    group = job.groups["appserver"]
    ((_, task),) = group.tasks.items()
    env = client.nomad_env(group, task, 0, {"http": 24567})
    assert env["NOMAD_ALLOC_NAME"] == "yelb.appserver[0]" and env["NOMAD_SHORT_ALLOC_ID"] == env["NOMAD_ALLOC_ID"][:8]
    assert (env["NOMAD_JOB_NAME"], env["NOMAD_GROUP_NAME"], env["NOMAD_TASK_NAME"]) == ("yelb", "appserver",
                                                                                      task.name)
    assert (env["NOMAD_PORT_http"], env["NOMAD_HOST_PORT_http"], env["NOMAD_ADDR_http"]) == (
        "4567", "24567", "192.0.2.10:24567")
