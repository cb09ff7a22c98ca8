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

# The apps run in TEST_MODE, which decodes bearer tokens without checking the
# signature, so any key will do; a per-run random one keeps runs apart.
_SIGNING_ALG = "HS256"

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
