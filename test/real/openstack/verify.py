"""End-to-end check of the services up.sh started (run with /usr/bin/python3 after up.sh).

Works in its own project (statsmoln-verify) so that it does not disturb other users of the
services: token and catalog, Nova quota PUT and detail, os-simple-tenant-usage, a server going to
ACTIVE with the fake driver and deleted, Cinder volumes (plain and encrypted) going to available,
extended and deleted, Neutron network, subnet, router with external gateway, security group,
and the over-quota errors of Nova (403), Cinder (413) and Neutron (409). Prints the latency of
each step and exits non-zero on the first failure.
"""
import datetime
import os
import sys
import time

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

STATE = os.environ.get("STATE") or os.path.join(
    os.environ.get("STATSMOLN_REAL_DIR", "/tmp/statsmoln-real"), "openstack")
KEYSTONE = "http://127.0.0.1:5000/v3"
PROJECT = "statsmoln-verify"


def read_env():
    values = {}
    with open(os.path.join(STATE, "env")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            values[key] = value
    with open(os.path.join(STATE, "secrets")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            values[key] = value
    return values


ENV = read_env()


def session(project):
    auth = v3.Password(auth_url=KEYSTONE, username="admin", password=ENV["ADMIN_PASSWORD"],
                       project_name=project, user_domain_name="Default",
                       project_domain_name="Default")
    return ks_session.Session(auth=auth, timeout=60)


class Api:
    def __init__(self, sess, service_type, headers=None):
        self.sess = sess
        self.filter = {"service_type": service_type, "interface": "public",
                       "region_name": "RegionOne"}
        self.headers = headers or {}

    def call(self, method, path, expect=None, **kw):
        headers = dict(self.headers)
        headers.update(kw.pop("headers", {}))
        started = time.time()
        resp = self.sess.request(path, method, endpoint_filter=self.filter, headers=headers,
                                 raise_exc=False, **kw)
        ms = (time.time() - started) * 1000
        if isinstance(expect, int):
            expect = (expect,)
        ok = resp.status_code in expect if expect else resp.status_code < 400
        if not ok:
            raise AssertionError("%s %s -> %s (expected %s): %s" % (
                method, path, resp.status_code, expect or "2xx", resp.text[:400]))
        return resp, ms


STEPS = []


def step(name, fn):
    started = time.time()
    result = fn()
    took = time.time() - started
    STEPS.append((name, took))
    print("ok  %-52s %8.0f ms" % (name, took * 1000), flush=True)
    return result


def poll(what, fn, timeout=120):
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("timed out: " + what)
        time.sleep(0.5)


def main():
    admin = session("admin")
    ks = Api(admin, "identity")

    def token_and_catalog():
        token = admin.get_token()
        assert token
        access = admin.auth.get_access(admin)
        types = sorted(s["type"] for s in access.service_catalog.catalog)
        for needed in ("compute", "identity", "image", "network", "placement", "volumev3"):
            assert needed in types, "catalog lacks %s: %s" % (needed, types)
        return types
    print("catalog:", step("token and catalog", token_and_catalog))

    def ensure_project():
        resp, _ = ks.call("GET", "/projects?name=" + PROJECT)
        found = resp.json()["projects"]
        if found:
            project = found[0]
        else:
            project = ks.call("POST", "/projects", json={"project": {
                "name": PROJECT, "domain_id": "default"}})[0].json()["project"]
        user = ks.call("GET", "/users?name=admin")[0].json()["users"][0]
        role = ks.call("GET", "/roles?name=admin")[0].json()["roles"][0]
        ks.call("PUT", "/projects/%s/users/%s/roles/%s" % (project["id"], user["id"], role["id"]))
        return project["id"]
    project_id = step("verify project", ensure_project)

    sess = session(PROJECT)
    nova = Api(sess, "compute", {"OpenStack-API-Version": "compute 2.79"})
    cinder = Api(sess, "volumev3", {"OpenStack-API-Version": "volume 3.59"})
    neutron = Api(sess, "network")

    def clean_leftovers():
        # A run that failed half-way leaves resources behind; they would skew the quota checks.
        for srv in nova.call("GET", "/servers")[0].json()["servers"]:
            nova.call("DELETE", "/servers/" + srv["id"])
        for vol in cinder.call("GET", "/volumes")[0].json()["volumes"]:
            cinder.call("DELETE", "/volumes/" + vol["id"])
        mine = "?project_id=" + project_id
        for rt in neutron.call("GET", "/v2.0/routers" + mine)[0].json()["routers"]:
            ports = neutron.call("GET", "/v2.0/ports?device_id=" + rt["id"])[0].json()["ports"]
            for port in ports:
                if port["device_owner"] == "network:router_interface":
                    neutron.call("PUT", "/v2.0/routers/%s/remove_router_interface" % rt["id"],
                                 json={"port_id": port["id"]})
            neutron.call("DELETE", "/v2.0/routers/" + rt["id"])
        poll("servers and volumes gone", lambda: not (
            nova.call("GET", "/servers")[0].json()["servers"]
            or cinder.call("GET", "/volumes")[0].json()["volumes"]))
        for net in neutron.call("GET", "/v2.0/networks" + mine)[0].json()["networks"]:
            neutron.call("DELETE", "/v2.0/networks/" + net["id"])
        for sg in neutron.call("GET", "/v2.0/security-groups" + mine)[0].json()["security_groups"]:
            if sg["name"] != "default":
                neutron.call("DELETE", "/v2.0/security-groups/" + sg["id"])
        nova.call("DELETE", "/os-quota-sets/" + project_id)
        cinder.call("DELETE", "/os-quota-sets/" + project_id)
        # Neutron answers 404 TenantQuotaNotFound when the project has only default quotas.
        neutron.call("DELETE", "/v2.0/quotas/" + project_id, expect=(204, 404))
    step("clean leftovers of an earlier run", clean_leftovers)

    def nova_quota():
        nova.call("PUT", "/os-quota-sets/" + project_id,
                  json={"quota_set": {"instances": 5, "cores": 8, "ram": 4096}})
        detail = nova.call("GET", "/os-quota-sets/%s/detail" % project_id)[0].json()["quota_set"]
        assert detail["instances"]["limit"] == 5, detail["instances"]
        return detail["instances"]
    step("nova quota PUT + detail", nova_quota)

    def usage():
        end = datetime.datetime.utcnow()
        start = end - datetime.timedelta(hours=1)
        fmt = "%Y-%m-%dT%H:%M:%S"
        body = nova.call("GET", "/os-simple-tenant-usage/%s?start=%s&end=%s" % (
            project_id, start.strftime(fmt), end.strftime(fmt)))[0].json()
        assert "tenant_usage" in body
    step("nova os-simple-tenant-usage", usage)

    # Network for the server, router with an external gateway, security group.
    def network():
        net = neutron.call("POST", "/v2.0/networks", json={"network": {
            "name": "verify-net"}})[0].json()["network"]
        sub = neutron.call("POST", "/v2.0/subnets", json={"subnet": {
            "name": "verify-v4", "network_id": net["id"], "ip_version": 4,
            "cidr": "10.0.0.0/24"}})[0].json()["subnet"]
        sub6 = neutron.call("POST", "/v2.0/subnets", json={"subnet": {
            "name": "verify-v6", "network_id": net["id"], "ip_version": 6,
            "cidr": "fd00:5::/64", "ipv6_address_mode": "slaac",
            "ipv6_ra_mode": "slaac"}})[0].json()["subnet"]
        router = neutron.call("POST", "/v2.0/routers", json={"router": {
            "name": "verify-router", "external_gateway_info": {
                "network_id": ENV["STATSMOLN_OS_EXTERNAL_NETWORK_ID"]}}})[0].json()["router"]
        assert router["external_gateway_info"]["external_fixed_ips"], router
        neutron.call("PUT", "/v2.0/routers/%s/add_router_interface" % router["id"],
                     json={"subnet_id": sub["id"]})
        sg = neutron.call("POST", "/v2.0/security-groups", json={"security_group": {
            "name": "verify-sg"}})[0].json()["security_group"]
        neutron.call("POST", "/v2.0/security-group-rules", json={"security_group_rule": {
            "security_group_id": sg["id"], "direction": "ingress", "protocol": "tcp",
            "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0",
            "ethertype": "IPv4"}})
        return net, sub, sub6, router, sg
    net, sub, sub6, router, sg = step("neutron network, subnets, router+gw, secgroup", network)

    def neutron_quota():
        neutron.call("PUT", "/v2.0/quotas/" + project_id, json={"quota": {"network": 1}})
        details = neutron.call("GET", "/v2.0/quotas/%s/details" % project_id)[0].json()
        assert details["quota"]["network"]["limit"] == 1
        assert details["quota"]["network"]["used"] == 1, details["quota"]["network"]
        resp, _ = neutron.call("POST", "/v2.0/networks", expect=409,
                               json={"network": {"name": "verify-over"}})
        assert resp.json()["NeutronError"]["type"] == "OverQuota", resp.text
        neutron.call("DELETE", "/v2.0/quotas/" + project_id)
    step("neutron quota details + 409 OverQuota", neutron_quota)

    def server():
        created = nova.call("POST", "/servers", json={"server": {
            "name": "verify-server", "imageRef": ENV["STATSMOLN_OS_IMAGE_ID"],
            "flavorRef": flavor_id(), "networks": [{"uuid": net["id"]}]}})[0].json()["server"]

        def active():
            s = nova.call("GET", "/servers/" + created["id"])[0].json()["server"]
            if s["status"] == "ERROR":
                raise AssertionError("server ERROR: %s" % s.get("fault"))
            return s if s["status"] == "ACTIVE" else None
        poll("server ACTIVE", active)
        return created["id"]

    def flavor_id():
        flavors = nova.call("GET", "/flavors")[0].json()["flavors"]
        return next(f["id"] for f in flavors if f["name"] == ENV["STATSMOLN_OS_FLAVOR_NAME"])
    server_id = step("nova server create -> ACTIVE", server)

    def nova_over_quota():
        nova.call("PUT", "/os-quota-sets/" + project_id, json={"quota_set": {"instances": 1}})
        resp, _ = nova.call("POST", "/servers", expect=403, json={"server": {
            "name": "verify-over", "imageRef": ENV["STATSMOLN_OS_IMAGE_ID"],
            "flavorRef": flavor_id(), "networks": "none"}})
        assert "Quota exceeded" in resp.text, resp.text
    step("nova over quota -> 403", nova_over_quota)

    def server_delete():
        nova.call("DELETE", "/servers/" + server_id)

        def gone():
            resp = sess.request("/servers/" + server_id, "GET", raise_exc=False,
                                endpoint_filter=nova.filter)
            return resp.status_code == 404
        poll("server gone", gone)
    step("nova server delete -> gone", server_delete)

    def volume(volume_type):
        vol = cinder.call("POST", "/volumes", json={"volume": {
            "name": "verify-" + volume_type, "size": 1,
            "volume_type": volume_type}})[0].json()["volume"]

        def status(wanted):
            def check():
                v = cinder.call("GET", "/volumes/" + vol["id"])[0].json()["volume"]
                if v["status"].startswith("error"):
                    raise AssertionError("volume %s" % v["status"])
                return v if v["status"] == wanted else None
            return check
        poll("volume available", status("available"))
        cinder.call("POST", "/volumes/%s/action" % vol["id"],
                    json={"os-extend": {"new_size": 2}})
        v = poll("volume extended", lambda: (lambda v: v if v["size"] == 2 and
                                             v["status"] == "available" else None)(
            cinder.call("GET", "/volumes/" + vol["id"])[0].json()["volume"]))
        assert v["encrypted"] == (volume_type == "encrypted"), v
        cinder.call("DELETE", "/volumes/" + vol["id"])

        def gone():
            resp = sess.request("/volumes/" + vol["id"], "GET", raise_exc=False,
                                endpoint_filter=cinder.filter)
            return resp.status_code == 404
        poll("volume gone", gone)
    step("cinder volume standard: available, extend, delete", lambda: volume("standard"))
    step("cinder volume encrypted: available, extend, delete", lambda: volume("encrypted"))

    def cinder_over_quota():
        cinder.call("PUT", "/os-quota-sets/" + project_id, json={"quota_set": {"volumes": 0}})
        usage = cinder.call("GET", "/os-quota-sets/%s?usage=true" % project_id)[0].json()
        assert usage["quota_set"]["volumes"]["limit"] == 0, usage
        resp, _ = cinder.call("POST", "/volumes", expect=413, json={"volume": {"size": 1}})
        assert "overLimit" in resp.json(), resp.text
        cinder.call("DELETE", "/os-quota-sets/" + project_id)
    step("cinder over quota -> 413 overLimit", cinder_over_quota)

    def cleanup():
        neutron.call("PUT", "/v2.0/routers/%s/remove_router_interface" % router["id"],
                     json={"subnet_id": sub["id"]})
        neutron.call("DELETE", "/v2.0/routers/" + router["id"])
        neutron.call("DELETE", "/v2.0/security-groups/" + sg["id"])
        neutron.call("DELETE", "/v2.0/networks/" + net["id"])
        nova.call("DELETE", "/os-quota-sets/" + project_id)
    step("cleanup", cleanup)

    def warm_latency():
        figures = {}
        for name, fn in (
            ("nova quota PUT", lambda: nova.call("PUT", "/os-quota-sets/" + project_id,
                                                 json={"quota_set": {"instances": 7}})[1]),
            ("cinder quota PUT", lambda: cinder.call("PUT", "/os-quota-sets/" + project_id,
                                                     json={"quota_set": {"volumes": 7}})[1]),
            ("neutron quota PUT", lambda: neutron.call("PUT", "/v2.0/quotas/" + project_id,
                                                       json={"quota": {"network": 7}})[1]),
        ):
            samples = sorted(fn() for _ in range(10))
            figures[name] = samples[len(samples) // 2]
        nova.call("DELETE", "/os-quota-sets/" + project_id)
        cinder.call("DELETE", "/os-quota-sets/" + project_id)
        neutron.call("DELETE", "/v2.0/quotas/" + project_id)
        return figures
    for name, ms in step("warm latency (10 calls each)", warm_latency).items():
        print("    %-20s p50 %6.1f ms" % (name, ms))
    print("verify: all %d steps passed in %.1f s" % (len(STEPS), sum(t for _, t in STEPS)))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("FAILED: %s" % e, file=sys.stderr)
        sys.exit(1)
