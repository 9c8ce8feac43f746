"""What Nomad does when a task keeps failing, read from the job as python-hcl2 parses it.

Nomad's rule (restart block, `mode`; https://developer.hashicorp.com/nomad/docs/job-specification/restart#mode):
  - "delay": once `attempts` are spent within `interval`, the client waits for the
    interval to pass and restarts the task again, for ever. The task never fails,
    so its allocation never fails, and the `reschedule` block never applies.
  - "fail": once `attempts` are spent, the task fails, the allocation is marked
    failed and the scheduler places it again as the `reschedule` block says
    (https://developer.hashicorp.com/nomad/docs/job-specification/reschedule).
A restart block in a task overrides the group's; a reschedule block in a group
overrides the job's.
"""

import pytest

from tests.nomad.nomad_job import JOB_FILE, labelled, parse_hcl

DOCUMENT = parse_hcl(JOB_FILE)
((JOB_NAME, JOB),) = labelled(DOCUMENT["job"]).items()
GROUPS = labelled(JOB["group"])


def single(body, name):
    """The body of a block that may appear once (restart, reschedule), or None."""
    (block,) = body.get(name) or [None]
    return block


@pytest.mark.parametrize("group_name", sorted(GROUPS))
def test_a_task_that_keeps_failing_gets_its_allocation_rescheduled(group_name):
    group = GROUPS[group_name]
    reschedule = single(group, "reschedule") or single(JOB, "reschedule")
    assert reschedule, f"group {group_name}: no reschedule policy"
    assert reschedule.get("unlimited") is True or reschedule.get("attempts", 0) > 0, group_name
    for task_name, task in labelled(group["task"]).items():
        restart = single(task, "restart") or single(group, "restart")
        assert restart and restart["attempts"] >= 1, f"{group_name}/{task_name}: no restart attempts"
        # Only "fail" ends the restarts and hands the allocation to the rescheduler.
        assert restart.get("mode", '"fail"') == '"fail"', (
            f"{group_name}/{task_name}: restart mode {restart['mode']} never fails the "
            "allocation, so reschedule never fires")
