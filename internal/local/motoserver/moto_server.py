"""Run moto's server with S3 event notifications shaped as AWS's.

motoserver.Start (motoserver.go) runs this file with the project's Python (.venv). moto 5.2's S3 event
notifications differ from AWS's in a time format, two fields and one event:

- eventTime has no time zone ("2024-05-14T09:21:07.512345"); AWS writes
  UTC with milliseconds ("2024-05-14T09:21:07.512Z"), which Go's time.Time
  (and so aws-lambda-go's events.S3Event) requires;
- object.versionId, the version an event created, in versioned buckets;
- object.sequencer, which orders the events of one key;
- ObjectRemoved:DeleteMarkerCreated, for a DeleteObject without a version
  id in a versioned bucket, and ObjectRemoved:Delete, for a DeleteObject
  with one (moto sends nothing for either); like AWS's, removal events carry
  no size or eTag.

The invalidate Lambda depends on all of them, as documented in
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
so this wrapper adds and fixes them and changes nothing else; arguments are moto.server's.
"""

import itertools
import sys
import time
from datetime import datetime, timezone

from moto.s3 import models, notifications

_s3_event = notifications._get_s3_event
_sequence = itertools.count(time.time_ns())


class _Marker:
    """Stands in for a delete marker where moto reads an object's fields."""

    etag = ""
    size = 0

    def __init__(self, marker):
        self.name = marker.name


def _get_s3_event(event_name, bucket, key, notification_id):
    marker = isinstance(key, models.FakeDeleteMarker)
    event = _s3_event(event_name, bucket, _Marker(key) if marker else key, notification_id)
    record = event["Records"][0]
    record["eventTime"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    obj = record["s3"]["object"]
    if marker or event_name.startswith("ObjectRemoved"):
        for field in ("size", "eTag"):
            obj.pop(field, None)
    if bucket.is_versioned and key.version_id not in (None, "null"):
        obj["versionId"] = key.version_id
    # Upper-case hex, increasing, as AWS spells it.
    obj["sequencer"] = "%018X" % next(_sequence)
    return event


notifications._get_s3_event = _get_s3_event

_delete_object = models.S3Backend.delete_object


def _delete_object_notifying(self, bucket_name, key_name, version_id=None, bypass=False):
    bucket = self.get_bucket(bucket_name)
    version = None
    if version_id is not None and bucket.is_versioned:
        version = next((k for k in bucket.keys.getlist(key_name, []) if str(k.version_id) == str(version_id)), None)
    deleted, meta = _delete_object(self, bucket_name, key_name, version_id=version_id, bypass=bypass)
    if version_id is None and meta.get("delete-marker") == "true":
        notifications.send_event(
            self.account_id,
            notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT,
            bucket,
            bucket.keys.getlist(key_name)[-1],
        )
    elif version is not None and deleted:
        notifications.send_event(
            self.account_id, notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_EVENT, bucket, version
        )
    return deleted, meta


models.S3Backend.delete_object = _delete_object_notifying

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
