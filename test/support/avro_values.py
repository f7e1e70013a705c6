"""Python values of Avro logical types <-> tagged JSON, for the tests that compare them exactly.

A tag names the Python type and carries an exact integer or text, so no float ever stands in:
{"$decimal": "0.29"}, {"$datetime_us": -1000} (aware, UTC), {"$local_datetime_us": 0},
{"$date": 19723} (days), {"$time_us": 1000}, {"$uuid": "..."}, {"$bytes_hex": "0a0b"}.
"""
import datetime
import decimal
import uuid

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
LOCAL_EPOCH = datetime.datetime(1970, 1, 1)
EPOCH_DAY = datetime.date(1970, 1, 1)


def _micros(delta):
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_tagged(value):
    """Tagged JSON (as the TypeScript side writes it) -> the Python value Confluent's serializer takes."""
    if isinstance(value, list):
        return [from_tagged(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (tag, v), = value.items()
        if tag == "$decimal":
            return decimal.Decimal(v)
        if tag == "$datetime_us":
            return EPOCH + datetime.timedelta(microseconds=v)
        if tag == "$local_datetime_us":
            return LOCAL_EPOCH + datetime.timedelta(microseconds=v)
        if tag == "$date":
            return EPOCH_DAY + datetime.timedelta(days=v)
        if tag == "$time_us":
            return (datetime.datetime.min + datetime.timedelta(microseconds=v)).time()
        if tag == "$uuid":
            return uuid.UUID(v)
        if tag == "$bytes_hex":
            return bytes.fromhex(v)
    return {k: from_tagged(v) for k, v in value.items()}


def to_tagged(value):
    """What Confluent's deserializer returned -> tagged JSON, exactly."""
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            return {"$datetime_us": _micros(value - EPOCH)}
        return {"$local_datetime_us": _micros(value - LOCAL_EPOCH)}
    if isinstance(value, datetime.date):
        return {"$date": (value - EPOCH_DAY).days}
    if isinstance(value, datetime.time):
        return {"$time_us": ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, bytes):
        return {"$bytes_hex": value.hex()}
    if isinstance(value, dict):
        return {k: to_tagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_tagged(v) for v in value]
    return value
