"""A Pub/Sub publisher service for tests: serves google.pubsub.v1.Publisher/Publish with the
message types Google publishes in google-cloud-pubsub, appends every request it receives to a
JSON-lines file, and answers one message id per message.

Usage: pubsub_publisher.py PORT RECORD_FILE

A topic whose id is `missing` is answered NOT_FOUND, as Pub/Sub answers an unknown topic.
"""

import base64
import itertools
import json
import sys
import threading
from concurrent import futures

import grpc
from google.pubsub_v1.types import PublishRequest, PublishResponse

port, record_path = int(sys.argv[1]), sys.argv[2]
next_id = itertools.count(1001)
lock = threading.Lock()


def publish(request, context):
    metadata = dict(context.invocation_metadata())
    record = {
        "topic": request.topic,
        "messages": [
            {
                "data": base64.b64encode(message.data).decode("ascii"),
                "attributes": dict(message.attributes),
            }
            for message in request.messages
        ],
        "authorization": metadata.get("authorization"),
    }
    with lock:
        with open(record_path, "a", encoding="utf8") as records:
            records.write(json.dumps(record) + "\n")
        ids = [str(next(next_id)) for _ in request.messages]
    if request.topic.endswith("/topics/missing"):
        context.abort(grpc.StatusCode.NOT_FOUND, "Resource not found (resource=missing).")
    return PublishResponse(message_ids=ids)


handler = grpc.method_handlers_generic_handler(
    "google.pubsub.v1.Publisher",
    {
        "Publish": grpc.unary_unary_rpc_method_handler(
            publish,
            request_deserializer=PublishRequest.deserialize,
            response_serializer=PublishResponse.serialize,
        )
    },
)
server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
server.add_generic_rpc_handlers((handler,))
server.add_insecure_port(f"127.0.0.1:{port}")
server.start()
print("READY", flush=True)
server.wait_for_termination()
