"""Registers and provisions the real OpenStack services that up.sh starts (run with /usr/bin/python3).

  provision.py register   service project, roles, service users, services and endpoints
  provision.py provision  flavor, image, volume types, external network; writes clouds.yaml and env

One process with keystoneauth1 does in seconds what the openstack CLI does in minutes. Every step
finds before it creates, so running it again changes nothing. Passwords come from the environment
(up.sh loads them from the state dir) and are never printed.
"""
import os
import sys
import time

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

STATE = os.environ["STATE"]
KEYSTONE = "http://127.0.0.1:5000/v3"
REGION = "RegionOne"
ADMIN_PASSWORD = os.environ["ADMIN_PASSWORD"]
SERVICE_PASSWORD = os.environ["SERVICE_PASSWORD"]

SERVICES = [
    # (user, service name, type, URL)
    ("nova", "nova", "compute", "http://127.0.0.1:8774/v2.1"),
    ("placement", "placement", "placement", "http://127.0.0.1:8778"),
    ("cinder", "cinderv3", "volumev3", "http://127.0.0.1:8776/v3/%(project_id)s"),
    ("neutron", "neutron", "network", "http://127.0.0.1:9696"),
    ("glance", "glance", "image", "http://127.0.0.1:9292"),
]

FLAVOR = {"name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1}
IMAGE_NAME = "statsmoln-raw-1mib"
EXTERNAL_NET = "external"
EXTERNAL_CIDR = "203.0.113.0/24"


def admin_session():
    auth = v3.Password(auth_url=KEYSTONE, username="admin", password=ADMIN_PASSWORD,
                       project_name="admin", user_domain_name="Default",
                       project_domain_name="Default")
    return ks_session.Session(auth=auth, timeout=60)


class Api:
    """A thin REST helper over one service type of the catalog."""

    def __init__(self, sess, service_type, headers=None):
        self.sess = sess
        self.filter = {"service_type": service_type, "interface": "public",
                       "region_name": REGION}
        self.headers = headers or {}

    def call(self, method, path, **kw):
        headers = dict(self.headers)
        headers.update(kw.pop("headers", {}))
        resp = self.sess.request(path, method, endpoint_filter=self.filter, headers=headers,
                                 raise_exc=False, **kw)
        if resp.status_code >= 400:
            raise RuntimeError("%s %s -> %s: %s" % (method, path, resp.status_code,
                                                    resp.text[:500]))
        return resp.json() if resp.content else None

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.call("POST", path, json=body, **kw)

    def put(self, path, **kw):
        return self.call("PUT", path, **kw)


def one(items, what):
    if len(items) > 1:
        raise RuntimeError("more than one %s" % what)
    return items[0] if items else None


def ensure(api, collection, key, name, body, query=None):
    plural = collection.rsplit("/", 1)[-1]
    found = one(api.get("%s?name=%s%s" % (collection, name, query or ""))[plural],
                "%s %s" % (key, name))
    if found:
        return found
    print("creating %s %s" % (key, name))
    return api.post(collection, {key: body})[key]


def register():
    started = time.time()
    sess = admin_session()
    ks = Api(sess, "identity")
    domain_id = "default"
    project = ensure(ks, "/projects", "project", "service",
                     {"name": "service", "domain_id": domain_id,
                      "description": "OpenStack service users"})
    roles = {name: ensure(ks, "/roles", "role", name, {"name": name})["id"]
             for name in ("admin", "service")}
    for user_name, service_name, service_type, url in SERVICES:
        user = one(ks.get("/users?name=%s&domain_id=%s" % (user_name, domain_id))["users"],
                   "user " + user_name)
        if user:
            # Keep the stored password in step with the state dir's secrets.
            ks.call("PATCH", "/users/%s" % user["id"],
                    json={"user": {"password": SERVICE_PASSWORD}})
        else:
            print("creating user %s" % user_name)
            user = ks.post("/users", {"user": {"name": user_name, "domain_id": domain_id,
                                               "password": SERVICE_PASSWORD,
                                               "enabled": True}})["user"]
        for role_id in roles.values():
            ks.put("/projects/%s/users/%s/roles/%s" % (project["id"], user["id"], role_id))
        service = one(ks.get("/services?type=%s" % service_type)["services"],
                      "service " + service_type)
        if not service:
            print("creating service %s" % service_type)
            service = ks.post("/services", {"service": {"name": service_name,
                                                        "type": service_type,
                                                        "enabled": True}})["service"]
        existing = ks.get("/endpoints?service_id=%s" % service["id"])["endpoints"]
        for interface in ("public", "internal", "admin"):
            if any(e["interface"] == interface and e["url"] == url for e in existing):
                continue
            ks.post("/endpoints", {"endpoint": {"service_id": service["id"],
                                                "interface": interface, "url": url,
                                                "region_id": REGION, "enabled": True}})
    print("register: done in %.1f s" % (time.time() - started))


def wait(what, check, timeout=120):
    deadline = time.time() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.time() > deadline:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.5)


def provision():
    started = time.time()
    sess = admin_session()
    nova = Api(sess, "compute", {"OpenStack-API-Version": "compute 2.55"})
    glance = Api(sess, "image")
    cinder = Api(sess, "volumev3", {"OpenStack-API-Version": "volume 3.0"})
    neutron = Api(sess, "network")

    flavors = [f for f in nova.get("/flavors?is_public=None")["flavors"]
               if f["name"] == FLAVOR["name"]]
    if not flavors:
        print("creating flavor %s" % FLAVOR["name"])
        nova.post("/flavors", {"flavor": dict(FLAVOR)})

    image = one(glance.get("/v2/images?name=%s" % IMAGE_NAME)["images"], "image")
    if image and image["status"] != "active":
        glance.call("DELETE", "/v2/images/%s" % image["id"])
        image = None
    if not image:
        print("uploading image %s" % IMAGE_NAME)
        image = glance.post("/v2/images", {"name": IMAGE_NAME, "disk_format": "raw",
                                           "container_format": "bare",
                                           "visibility": "public"})
        glance.put("/v2/images/%s/file" % image["id"], data=b"\0" * (1024 * 1024),
                   headers={"Content-Type": "application/octet-stream"})
        wait("image active",
             lambda: glance.get("/v2/images/%s" % image["id"])["status"] == "active")

    types = {t["name"]: t for t in cinder.get("/types?is_public=None")["volume_types"]}
    for name in ("standard", "encrypted"):
        if name not in types:
            print("creating volume type %s" % name)
            types[name] = cinder.post("/types", {"volume_type": {
                "name": name, "extra_specs": {"volume_backend_name": "fake"}}})["volume_type"]
    enc_type = types["encrypted"]["id"]
    if not cinder.get("/types/%s/encryption" % enc_type):
        cinder.post("/types/%s/encryption" % enc_type, {"encryption": {
            "provider": "luks", "cipher": "aes-xts-plain64", "key_size": 256,
            "control_location": "front-end"}})

    net = ensure(neutron, "/v2.0/networks", "network", EXTERNAL_NET,
                 {"name": EXTERNAL_NET, "router:external": True, "shared": False,
                  "provider:network_type": "flat", "provider:physical_network": "external"})
    subnet = ensure(neutron, "/v2.0/subnets", "subnet", EXTERNAL_NET + "-v4",
                    {"name": EXTERNAL_NET + "-v4", "network_id": net["id"], "ip_version": 4,
                     "cidr": EXTERNAL_CIDR, "gateway_ip": "203.0.113.1",
                     "enable_dhcp": False},
                    "&network_id=%s" % net["id"])

    # cinder-volume's heartbeat is not enough: creates fail with "No valid backend" until the
    # scheduler has the backend's capabilities (the volume service's periodic report).
    wait("cinder-scheduler to know the fake backend",
         lambda: cinder.get("/scheduler-stats/get_pools")["pools"], timeout=120)

    write_outputs(image["id"], net["id"], subnet["id"], types)
    print("provision: done in %.1f s" % (time.time() - started))


def write_private(path, text):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def write_outputs(image_id, net_id, subnet_id, types):
    write_private(os.path.join(STATE, "clouds.yaml"), """clouds:
  statsmoln-real:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: admin
      password: "%s"
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
""" % ADMIN_PASSWORD)
    lines = {
        "OS_CLOUD": "statsmoln-real",
        "OS_CLIENT_CONFIG_FILE": os.path.join(STATE, "clouds.yaml"),
        "STATSMOLN_OS_AUTH_URL": "http://127.0.0.1:5000/v3",
        "STATSMOLN_OS_REGION": REGION,
        "STATSMOLN_OS_IMAGE_ID": image_id,
        "STATSMOLN_OS_IMAGE_NAME": IMAGE_NAME,
        "STATSMOLN_OS_FLAVOR_NAME": FLAVOR["name"],
        "STATSMOLN_OS_EXTERNAL_NETWORK_NAME": EXTERNAL_NET,
        "STATSMOLN_OS_EXTERNAL_NETWORK_ID": net_id,
        "STATSMOLN_OS_EXTERNAL_SUBNET_ID": subnet_id,
        "STATSMOLN_OS_VOLUME_TYPE": "standard",
        "STATSMOLN_OS_VOLUME_TYPE_ID": types["standard"]["id"],
        "STATSMOLN_OS_ENCRYPTED_VOLUME_TYPE": "encrypted",
        "STATSMOLN_OS_ENCRYPTED_VOLUME_TYPE_ID": types["encrypted"]["id"],
    }
    write_private(os.path.join(STATE, "env"),
                  "".join("%s=%s\n" % kv for kv in lines.items()))


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("register", "provision"):
        sys.exit("usage: provision.py register|provision")
    register() if sys.argv[1] == "register" else provision()
