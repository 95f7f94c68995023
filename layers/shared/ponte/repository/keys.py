"""Every DynamoDB key format of the single table, in one place.

Table: PK/SK; GSI1 (GSI1PK/GSI1SK) for per-tenant listings; GSI2 (GSI2PK/GSI2SK) for
changes since a time; GSI3 (GSI3PK/GSI3SK) for the hierarchy: records under a parent and
areas/courses by their responsible; TTL on ``expires_at``.
"""

from __future__ import annotations

from typing import Final

from ponte.domain.runs import RunKind

Key = dict[str, str]

GSI1: Final = "GSI1"
GSI2: Final = "GSI2"
GSI3: Final = "GSI3"


def health_probe() -> Key:
    return {"PK": "HEALTH", "SK": "PROBE"}


def tenant(tenant_id: str) -> Key:
    return {"PK": f"TENANT#{tenant_id}", "SK": "TENANT"}


def tenant_listing() -> Key:
    """GSI1 partition holding every tenant (admin listings)."""
    return {"GSI1PK": "TENANTS"}


def api_client(key_hash: str) -> Key:
    """API clients are keyed by the hash of their key: the authorizer's one GetItem."""
    return {"PK": f"APIKEY#{key_hash}", "SK": "APIKEY"}


def api_client_index(tenant_id: str, client_id: str = "") -> Key:
    """GSI1 keys listing a tenant's API clients, sorted by id."""
    key = {"GSI1PK": f"TENANT#{tenant_id}#APICLIENT"}
    if client_id:
        key["GSI1SK"] = client_id
    return key


def rate_window(principal: str, window_start: int) -> Key:
    """One counter item per principal per fixed window; it expires after the window."""
    return {"PK": f"RATE#{principal}", "SK": f"W#{window_start}"}


def parameter(tenant_id: str, name: str) -> Key:
    """A tenant's named parameter (e.g. Movidesk's MOVIDESK_SYNC_SCHEDULES)."""
    return {"PK": f"TENANT#{tenant_id}", "SK": f"PARAM#{name}"}


def tenant_counters(tenant_id: str) -> Key:
    """Per-tenant totals per entity and the last sync time, maintained on write."""
    return {"PK": f"TENANT#{tenant_id}", "SK": "COUNTERS"}


# -- academic records ----------------------------------------------------------------------
# A record:    PK T#{tenant}#{entity}#{code}, SK "#"
#              GSI1 T#{tenant}#{entity} / {code}            (list in code order)
#              GSI2 T#{tenant}#{entity} / {updated_at}#{code} (changes since)
# A claim:     PK T#{tenant}#UQ#{entity}#{field}#{value}, SK "#"  (email/CPF uniqueness)
#              GSI3 T#{tenant}#{entity}@{parent} / {code}   (units of an institution,
#                                                           turmas of a unit)
#                or T#{tenant}#responsible#{email|code:X} / {entity}#{code} (areas, courses)
# Links:       PK T#{tenant}#enrollments#{enrollment}, SK S#{student}
#                GSI1 T#{tenant}#student-enrollments#{student} / {enrollment}
#              PK T#{tenant}#enrollments#{enrollment}, SK M#{code}   (members with a role)
#                GSI1 T#{tenant}#member-enrollments#{code} / {enrollment}
#              PK T#{tenant}#professors#{professor}, SK E#{enrollment}
#              PK T#{tenant}#guardians#{email}, SK S#{student}
RECORD_SK: Final = "#"


def record(tenant_id: str, entity: str, code: str) -> Key:
    return {"PK": f"T#{tenant_id}#{entity}#{code}", "SK": RECORD_SK}


def record_indexes(tenant_id: str, entity: str, code: str, updated_at: str) -> Key:
    partition = f"T#{tenant_id}#{entity}"
    return {
        "GSI1PK": partition,
        "GSI1SK": code,
        "GSI2PK": partition,
        "GSI2SK": f"{updated_at}#{code}",
    }


def record_listing(tenant_id: str, entity: str) -> str:
    return f"T#{tenant_id}#{entity}"


def placement(tenant_id: str, entity: str, parent: str, code: str = "") -> Key:
    """GSI3 keys of a record placed under ``parent`` (or the partition, without ``code``)."""
    key = {"GSI3PK": f"T#{tenant_id}#{entity}@{parent}"}
    if code:
        key["GSI3SK"] = code
    return key


def responsibility(tenant_id: str, responsible: str, entity: str = "", code: str = "") -> Key:
    """GSI3 keys of an area/course under the person responsible for it."""
    key = {"GSI3PK": f"T#{tenant_id}#responsible#{responsible}"}
    if entity:
        key["GSI3SK"] = f"{entity}#{code}"
    return key


def claim(tenant_id: str, entity: str, field: str, value: str) -> Key:
    return {"PK": f"T#{tenant_id}#UQ#{entity}#{field}#{value}", "SK": RECORD_SK}


def enrollment_student(tenant_id: str, enrollment: str, student: str) -> Key:
    return {"PK": f"T#{tenant_id}#enrollments#{enrollment}", "SK": f"S#{student}"}


def student_enrollments(tenant_id: str, student: str) -> str:
    return f"T#{tenant_id}#student-enrollments#{student}"


def enrollment_member(tenant_id: str, enrollment: str, code: str) -> Key:
    return {"PK": f"T#{tenant_id}#enrollments#{enrollment}", "SK": f"M#{code}"}


def member_enrollments(tenant_id: str, code: str) -> str:
    return f"T#{tenant_id}#member-enrollments#{code}"


def guardian_student(tenant_id: str, email: str, student: str = "") -> Key:
    return {"PK": f"T#{tenant_id}#guardians#{email}", "SK": f"S#{student}"}


def professor_enrollment(tenant_id: str, professor: str, enrollment: str) -> Key:
    return {"PK": f"T#{tenant_id}#professors#{professor}", "SK": f"E#{enrollment}"}


STUDENT_LINK_PREFIX: Final = "S#"
PROFESSOR_LINK_PREFIX: Final = "E#"


# -- runs ---------------------------------------------------------------------------------
# A run:       PK T#{tenant}#{kind}, SK RUN#{run_id}   (run ids sort by start time)
# Its errors:  PK T#{tenant}#FULLSYNC#{run_id}, SK ERR#{entity}#{chunk}#{index}
# The lock:    PK T#{tenant}#LOCK, SK {the kind's lock name}
def run(tenant_id: str, kind: RunKind, run_id: str = "") -> Key:
    return {"PK": f"T#{tenant_id}#{kind.value}", "SK": f"RUN#{run_id}"}


def full_sync_error(tenant_id: str, run_id: str, entity: str, chunk: int, index: int) -> Key:
    return {
        "PK": f"T#{tenant_id}#{RunKind.FULL_SYNC.value}#{run_id}",
        "SK": f"ERR#{entity}#{chunk:06d}#{index:03d}",
    }


def full_sync_errors(tenant_id: str, run_id: str) -> Key:
    return {"PK": f"T#{tenant_id}#{RunKind.FULL_SYNC.value}#{run_id}", "SK": "ERR#"}


def lock(tenant_id: str, kind: RunKind) -> Key:
    return {"PK": f"T#{tenant_id}#LOCK", "SK": kind.lock}


# -- Kommo ---------------------------------------------------------------------------------
# Accounts:    PK T#{tenant}#KOMMO, SK ACCOUNT#{id:09d}; id sequence SK ACCOUNT-SEQ
# The master:  PK T#{tenant}#KOMMO, SK MASTER (its account_id: one master per tenant, claimed
#              by a conditional write together with the account)
# A role-sync run's parts: PK T#{tenant}#ROLESYNC#{run_id},
#              SK MASTER (the master's roles) | PLAN#{slave} | SLAVE#{slave} (its live result)
# Sync logs:   PK T#{tenant}#SYNCLOG, SK {finished_at}#{run_id}#{slave}
def kommo_account(tenant_id: str, account_id: int | None = None) -> Key:
    sk = "ACCOUNT#" if account_id is None else f"ACCOUNT#{account_id:09d}"
    return {"PK": f"T#{tenant_id}#KOMMO", "SK": sk}


def kommo_account_sequence(tenant_id: str) -> Key:
    return {"PK": f"T#{tenant_id}#KOMMO", "SK": "ACCOUNT-SEQ"}


def kommo_master(tenant_id: str) -> Key:
    """The tenant's claim on its one master account."""
    return {"PK": f"T#{tenant_id}#KOMMO", "SK": "MASTER"}


def _role_sync_part(tenant_id: str, run_id: str, sk: str) -> Key:
    return {"PK": f"T#{tenant_id}#{RunKind.ROLE_SYNC.value}#{run_id}", "SK": sk}


def role_sync_master(tenant_id: str, run_id: str) -> Key:
    return _role_sync_part(tenant_id, run_id, "MASTER")


def role_sync_plan(tenant_id: str, run_id: str, slave: int) -> Key:
    return _role_sync_part(tenant_id, run_id, f"PLAN#{slave:09d}")


def role_sync_slave(tenant_id: str, run_id: str, slave: int | None = None) -> Key:
    """A slave's live result; without ``slave``, the prefix of every slave of the run."""
    return _role_sync_part(tenant_id, run_id, "SLAVE#" if slave is None else f"SLAVE#{slave:09d}")


def sync_log(tenant_id: str, finished_at: str = "", run_id: str = "", slave: int = 0) -> Key:
    sk = f"{finished_at}#{run_id}#{slave:09d}" if finished_at else ""
    return {"PK": f"T#{tenant_id}#SYNCLOG", "SK": sk}


# -- SaaS connectors -----------------------------------------------------------------------
# A connection: PK T#{tenant}#CONN, SK {connection_id}   (ids sort by creation time)
# A sync run:   PK T#{tenant}#SYNCRUN, SK {run_id}        (ids sort by creation time)
#               GSI1 T#{tenant}#SYNCRUN#{connection} / {run_id}   (a connection's runs)
# Its pages:    PK T#{tenant}#SYNCRUN#{run_id}, SK P#{seq:07d}  (cursor saves, the run's log)
# A record:     PK T#{tenant}#REC#{connection}#{stream}, SK {vendor id}
#               GSI2 T#{tenant}#REC#{connection}#{stream} / {vendor updated_at}#{vendor id}
# Pacing:       PK PACE#{vendor account}, SK SCHEDULE      (shared by every tenant's runs)
# Token claim:  PK T#{tenant}#TOKEN, SK {connection_id}   (a connection whose credentials
#               rotate: the version of its stored tokens and the claim of the one refresher)
#               GSI2 TOKENS#{platform} / {refreshed_at}#{tenant}#{connection}   (every
#               tenant's connections of a platform by their refresh token's age: the
#               keep-alive's one Query)
def connection(tenant_id: str, connection_id: str = "") -> Key:
    return {"PK": f"T#{tenant_id}#CONN", "SK": connection_id}


def sync_run(tenant_id: str, run_id: str = "") -> Key:
    return {"PK": f"T#{tenant_id}#SYNCRUN", "SK": run_id}


def sync_run_index(tenant_id: str, connection_id: str, run_id: str = "") -> Key:
    key = {"GSI1PK": f"T#{tenant_id}#SYNCRUN#{connection_id}"}
    if run_id:
        key["GSI1SK"] = run_id
    return key


def sync_run_page(tenant_id: str, run_id: str, seq: int | None = None) -> Key:
    """A run's stored page; without ``seq``, the prefix of every page of the run."""
    return {"PK": f"T#{tenant_id}#SYNCRUN#{run_id}", "SK": "P#" if seq is None else f"P#{seq:07d}"}


def pulled_records(tenant_id: str, connection_id: str, stream: str) -> str:
    """The partition of one stream's records (and of its by-update-time index)."""
    return f"T#{tenant_id}#REC#{connection_id}#{stream}"


def pulled_record(tenant_id: str, connection_id: str, stream: str, vendor_id: str) -> Key:
    return {"PK": pulled_records(tenant_id, connection_id, stream), "SK": vendor_id}


def pulled_record_index(
    tenant_id: str, connection_id: str, stream: str, updated_at: str, vendor_id: str
) -> Key:
    return {
        "GSI2PK": pulled_records(tenant_id, connection_id, stream),
        "GSI2SK": f"{updated_at}#{vendor_id}",
    }


def pace(account: str) -> Key:
    return {"PK": f"PACE#{account}", "SK": "SCHEDULE"}


def token_claim(tenant_id: str, connection_id: str) -> Key:
    return {"PK": f"T#{tenant_id}#TOKEN", "SK": connection_id}


def tokens_by_age(platform: str) -> str:
    """The GSI2 partition of a platform's token claims, every tenant's, oldest first."""
    return f"TOKENS#{platform}"


def token_age(refreshed_at: str, tenant_id: str = "", connection_id: str = "") -> str:
    """The GSI2 sort key of a token claim (``refreshed_at``: ``YYYY-MM-DDTHH:MM:SSZ``);
    with the time alone, the bound of a Query."""
    return f"{refreshed_at}#{tenant_id}#{connection_id}" if tenant_id else refreshed_at


def token_claim_index(platform: str, refreshed_at: str, tenant_id: str, connection_id: str) -> Key:
    return {
        "GSI2PK": tokens_by_age(platform),
        "GSI2SK": token_age(refreshed_at, tenant_id, connection_id),
    }


# -- people --------------------------------------------------------------------------------
# An identity:  PK T#{tenant}#ID#{by}#{value}, SK "#": one attribute per person the identifier
#               names, "{kind}#{id}" -> their name (kept from the ERP's students and professors)
# A pulled record's links are on its own item (``people``, ``link_status``, ``decision``):
#               GSI3 T#{tenant}#P#{kind}#{id} / {updated_at}#{connection}#{stream}#{vendor id}
#                 (its first person's timeline; a record in conflict or rejected is listed
#                 under T#{tenant}#LINKS#{status} instead)
#               GSI1 T#{tenant}#WHO#{by}#{value} (its first email, else CPF, else phone) or
#                 T#{tenant}#OWN#{connection}#{contacts stream}#{contact id} (the contact it
#                 belongs to) / {connection}#{stream}#{vendor id}: what to match again when a
#                 person's identifiers or a contact's links change, without a scan
# More people:  PK T#{tenant}#LINK#{connection}#{stream}#{vendor id}, SK {kind}#{id}, with
#               GSI3 of that person's timeline (a record about more than one person)
# A decision:   PK T#{tenant}#DECISION#{connection}#{stream}#{vendor id}, SK "#": a person's
#               answer to a record's conflict, with the candidates it was made among (the
#               record item carries a copy; this one outlives a page stored meanwhile)
def identity(tenant_id: str, by: str, value: str) -> Key:
    return {"PK": f"T#{tenant_id}#ID#{by}#{value}", "SK": RECORD_SK}


def person_timeline(tenant_id: str, person: str) -> str:
    """The GSI3 partition of a person's linked records (``person``: ``students#A1``)."""
    return f"T#{tenant_id}#P#{person}"


def links_in(tenant_id: str, status: str) -> str:
    """The GSI3 partition of the records whose link is ``status`` (conflict, rejected)."""
    return f"T#{tenant_id}#LINKS#{status}"


def record_ref(connection_id: str, stream: str, vendor_id: str) -> str:
    return f"{connection_id}#{stream}#{vendor_id}"


def timeline_entry(
    partition: str, updated_at: str, connection_id: str, stream: str, vendor_id: str
) -> Key:
    return {
        "GSI3PK": partition,
        "GSI3SK": f"{updated_at}#{record_ref(connection_id, stream, vendor_id)}",
    }


def rematch_index(tenant_id: str, who: str, connection_id: str = "", stream: str = "",
                  vendor_id: str = "") -> Key:  # fmt: skip
    """GSI1 keys a record is found by when what it matched changes (``who``: ``email#x`` or
    an owner's ``OWN#{connection}#{stream}#{id}``)."""
    key = {"GSI1PK": f"T#{tenant_id}#WHO#{who}"}
    if connection_id:
        key["GSI1SK"] = record_ref(connection_id, stream, vendor_id)
    return key


def owner_who(connection_id: str, stream: str, vendor_id: str) -> str:
    return f"OWN#{record_ref(connection_id, stream, vendor_id)}"


def decision(tenant_id: str, connection_id: str, stream: str, vendor_id: str) -> Key:
    return {"PK": f"T#{tenant_id}#DECISION#{record_ref(connection_id, stream, vendor_id)}",
            "SK": RECORD_SK}  # fmt: skip


def extra_link(tenant_id: str, connection_id: str, stream: str, vendor_id: str,
               person: str = "") -> Key:  # fmt: skip
    """A record's link to a person beyond its first (without ``person``: the prefix of all)."""
    return {"PK": f"T#{tenant_id}#LINK#{record_ref(connection_id, stream, vendor_id)}",
            "SK": person}  # fmt: skip
