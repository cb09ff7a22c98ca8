"""Pieces shared by the orchestrator, the Keycloak stand-in and helper.py.

Runs on the harness venv's interpreter (python-jose and boto3 are there).
"""

import json
import os
import secrets
import time
from pathlib import Path
from typing import Dict, List, Optional

from jose import jwt

# One region for everything: the apps build their own clients without a region
# argument (AWS_DEFAULT_REGION) except the KMS client, which gets USER_KEY_REGION.
REGION = "ap-southeast-2"

# The realm path the apps append the token postfix to.
REALM_PATH = "/auth/realms/provena"
TOKEN_PATH = REALM_PATH + "/protocol/openid-connect/token"

# Tokens are signed RS256 with a per-instance key whose public half the
# Keycloak stand-in serves as the realm's public_key, exactly where the apps
# fetch it from when they do verify signatures (TEST_MODE off, the default).
_SIGNING_ALG = "RS256"

# How long minted tokens stay valid. The apps always check `exp`; a `start`ed
# instance may live for a whole working day.
TOKEN_LIFETIME_S = 7 * 24 * 3600

# Special roles the registry checks on its proxy routes (dataset / model run
# edits that only the data store / prov API may perform on a user's behalf).
DATA_STORE_SERVICE_ROLE = "data-store-api"
PROV_SERVICE_ROLE = "prov-api"

ADMIN_USERNAME = "provena-test-admin"
USER_USERNAME = "provena-test-user"


def model_roles() -> Dict[str, List[str]]:
    """Role names from the shared authorisation model, split by audience.

    Read from the installed provena-interfaces package so that the tokens
    follow whatever the apps check. Returns {"all": [...], "general": [...]}
    where "general" holds the roles the model intends for ordinary users.
    """
    from ProvenaInterfaces.AuthAPI import AUTHORISATION_MODEL, IntendedUserType

    everything: List[str] = []
    general: List[str] = []
    for component in AUTHORISATION_MODEL.components:
        for role in component.component_roles:
            everything.append(role.role_name)
            if IntendedUserType.GENERAL in role.intended_users:
                general.append(role.role_name)
    return {"all": everything, "general": general}


def generate_signing_key(path: Path) -> None:
    """Write a fresh RSA private key (PEM) to path, readable by owner only."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def realm_public_key(private_pem: str) -> str:
    """The public key the way Keycloak's realm document carries it: base64
    DER SubjectPublicKeyInfo without PEM armour (the apps add the armour)."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    import base64
    return base64.b64encode(der).decode()


def mint_token(key: str, issuer: str, username: str, roles: List[str],
               email: Optional[str] = None, client_id: str = "provena-client",
               lifetime_s: int = TOKEN_LIFETIME_S) -> str:
    """A Keycloak-shaped access token (only the claims the apps read matter:
    preferred_username, email, realm_access.roles and exp)."""
    now = int(time.time())
    claims = {
        "exp": now + lifetime_s,
        "iat": now,
        "jti": secrets.token_hex(8),
        "iss": issuer,
        "aud": "account",
        "sub": "sub-" + username,
        "typ": "Bearer",
        "azp": client_id,
        "scope": "openid profile email",
        "preferred_username": username,
        "realm_access": {"roles": list(roles) + ["offline_access", "uma_authorization"]},
    }
    if email is not None:
        claims["email"] = email
        claims["email_verified"] = True
    return jwt.encode(claims, key, algorithm=_SIGNING_ALG)


def read_env_file(path: Path) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip()] = v
    return out


def aws_env(endpoint: str) -> Dict[str, str]:
    """Environment that points every boto3/botocore client at moto and away
    from any real AWS configuration on the machine."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


# Variables that would leak a real AWS identity into the children.
AWS_VARS_TO_DROP = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
                    "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


def dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True)
