"""The workers' shared metric files stop growing once every series exists, whatever clients send."""

from concurrent.futures import ThreadPoolExecutor

import requests
from prometheus_client.mmap_dict import MmapedDict


def stored_values(server) -> int:
    """How many values the workers keep in their files (each file grows by doubling, so its
    size would hide new values)."""
    return sum(len(list(MmapedDict.read_all_values_from_file(str(path))))
               for path in (server.base_dir / "metrics").glob("*.db"))


def test_metric_files_do_not_grow_with_requests(appserver_factory, app_env):
    server = appserver_factory(app_env, workers=2)

    def send(index: int) -> None:
        with requests.Session() as session:
            session.request(f"INVENTED{index}", f"{server.url}/nowhere/{index}", timeout=10)
            session.get(f"{server.url}/api/{'ihop' if index % 2 else f'pizza{index}'}", timeout=10)
            session.get(f"{server.url}/api/getvotes", timeout=10)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, range(300)))
    settled = stored_values(server)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, range(300, 1500)))
    assert stored_values(server) == settled
