"""A throwaway PKI and web config for tests of the agent's secured HTTP endpoint (TLS, mutual
TLS, basic auth; docs/security-http.md): made with openssl in the test's own directory,
never committed. EC P-256 keys: quick to make on a busy machine."""
import os
import ssl
import subprocess
import warnings

from ksharness import AGENT, wait_until

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # libcrypt's bcrypt, as the agent's; deprecated in Python, present in 3.11


def _openssl(work, *args):
    subprocess.run(["openssl", *args], cwd=work, check=True, capture_output=True, timeout=60)


# A server certificate's extensions: for 127.0.0.1 and localhost.
SERVER_EXTENSIONS = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"
CLIENT_EXTENSIONS = "extendedKeyUsage=clientAuth"


def make_ca(work):
    """ca.crt and ca.key in `work`: the test CA."""
    _openssl(work, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=kafka-sentinel test CA")


def make_certificate(work, name, subject, extensions):
    """NAME.key and NAME.crt in `work`, signed by the test CA (make_ca)."""
    with open(os.path.join(work, f"{name}.ext"), "w") as f:
        f.write(extensions + "\n")
    _openssl(work, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={subject}")
    _openssl(work, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "1", "-out", f"{name}.crt", "-extfile", f"{name}.ext")


def make_pki(work):
    """ca.crt/ca.key, server.crt/key (for 127.0.0.1 and localhost), client.crt/key in `work`."""
    make_ca(work)
    make_certificate(work, "server", "test server", SERVER_EXTENSIONS)
    make_certificate(work, "client", "test client", CLIENT_EXTENSIONS)
    return {n: os.path.join(work, n) for n in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")}


def bcrypt(password):
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))  # cost 4: quick


def write_web_config(work, user, password):
    """web.yml: TLS with a required client certificate (mutual TLS) and basic auth."""
    path = os.path.join(work, "web.yml")
    with open(path, "w") as f:
        f.write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
                f"basic_auth_users:\n  {user}: {bcrypt(password)}\n")
    return path


def tls_answers(work, port):
    """True when /healthz answers over mutual TLS (200, or 401 when it needs credentials)."""
    import http.client
    ctx = ssl.create_default_context(cafile=os.path.join(work, "ca.crt"))
    ctx.load_cert_chain(os.path.join(work, "client.crt"), os.path.join(work, "client.key"))
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=ctx)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status in (200, 401)
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def start_secured(agent, work):
    """Starts ksharness Agent `agent` (its extra_args name the web config) and waits for it
    over TLS (Agent.start() waits on plain HTTP)."""
    import atexit
    agent.log_file = open(agent.log_path, "ab")
    agent.proc = subprocess.Popen(
        [AGENT, "run", "--config", agent.config_path, "--listen", f"127.0.0.1:{agent.port}",
         *agent.extra_args], stdout=agent.log_file, stderr=subprocess.STDOUT)
    atexit.register(agent.kill)
    if not wait_until(lambda: agent.alive() and tls_answers(work, agent.port) or None, 20, 0.1,
                      "agent over TLS"):
        raise RuntimeError(f"secured agent did not start; log:\n{agent.log_tail()}")
    return agent
