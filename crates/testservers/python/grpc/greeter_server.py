"""The real gRPC server the grpc executor's tests call: grpcio with server reflection.

Usage: greeter_server.py PORT PROTO_DIR OUT_DIR RECORD_FILE REFLECTION
  REFLECTION is "both" (v1 and v1alpha), "v1alpha", "v1", or "v1-lean" (v1 answering with
  the file asked for only, without the files it imports), or "none".

The .proto is compiled with grpc_tools.protoc into OUT_DIR at start. Every call is appended
to RECORD_FILE as one JSON line (method, reflection version used, request, metadata), so a
test sees what reached the server. Prints "listening PORT" once it serves.
"""

import importlib.resources
import json
import sys
import threading
import time
from concurrent import futures

import grpc
from grpc_tools import protoc


def compile_proto(proto_dir, out_dir):
    # grpc_tools ships the well-known types (google/protobuf/*.proto) beside protoc.
    well_known = str(importlib.resources.files("grpc_tools") / "_proto")
    args = ["protoc", f"-I{proto_dir}", f"-I{well_known}", f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}", f"{proto_dir}/greeter.proto"]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    sys.path.insert(0, out_dir)


class Recorder:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def record(self, entry):
        with self.lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
            out.flush()


def main():
    port, proto_dir, out_dir, record_path, reflection = sys.argv[1:6]
    compile_proto(proto_dir, out_dir)
    import greeter_pb2
    import greeter_pb2_grpc
    from google.protobuf import json_format
    from grpc_reflection.v1alpha import reflection as alpha
    from grpc_reflection.v1alpha import reflection_pb2 as alpha_pb2

    recorder = Recorder(record_path)

    def metadata_of(context):
        return {key: (value if isinstance(value, str) else value.hex())
                for key, value in context.invocation_metadata()}

    class Greeter(greeter_pb2_grpc.GreeterServicer):
        def Greet(self, request, context):
            metadata = metadata_of(context)
            recorder.record({"method": "Greet", "metadata": metadata,
                             "request": json_format.MessageToDict(request)})
            return greeter_pb2.GreetReply(
                greeting=f"hello {request.name} x{request.times}",
                metadata={k: v for k, v in metadata.items() if k.startswith("x-")},
                echoed=request)

        def Fail(self, request, context):
            recorder.record({"method": "Fail", "request": json_format.MessageToDict(request)})
            context.abort(grpc.StatusCode(next(c for c in grpc.StatusCode
                                               if c.value[0] == request.code)),
                          request.message)

        def Slow(self, request, context):
            recorder.record({"method": "Slow", "request": json_format.MessageToDict(request),
                             "time_remaining": context.time_remaining()})
            deadline = time.monotonic() + request.seconds
            while time.monotonic() < deadline:
                if not context.is_active():
                    # The client went away (its timeout or a kill): the test checks this.
                    recorder.record({"method": "SlowAbandoned"})
                    return greeter_pb2.GreetReply()
                time.sleep(0.05)
            return greeter_pb2.GreetReply(greeting="finally")

        def Big(self, request, context):
            recorder.record({"method": "Big"})
            return greeter_pb2.GreetReply(greeting="x" * request.size)

        def Chat(self, request_iterator, context):
            for request in request_iterator:
                yield greeter_pb2.GreetReply(greeting=request.name)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    greeter_pb2_grpc.add_GreeterServicer_to_server(Greeter(), server)
    service_name = greeter_pb2.DESCRIPTOR.services_by_name["Greeter"].full_name
    servicer = alpha.ReflectionServicer([service_name, alpha.SERVICE_NAME])

    def tap(request_iterator):
        for request in request_iterator:
            if request.HasField("file_by_filename"):
                recorder.record({"method": "reflection-file", "name": request.file_by_filename})
            yield request

    def reflection_handler(version, lean):
        def answer(request_iterator, context):
            recorder.record({"method": "reflection", "version": version,
                             "metadata": metadata_of(context)})
            for response in servicer.ServerReflectionInfo(tap(request_iterator), context):
                if lean and response.HasField("file_descriptor_response"):
                    # Only the file asked for (it comes first), none of its imports: the
                    # client has to ask for those by name, as some servers make it do.
                    del response.file_descriptor_response.file_descriptor_proto[1:]
                yield response
        handler = grpc.stream_stream_rpc_method_handler(
            answer,
            request_deserializer=alpha_pb2.ServerReflectionRequest.FromString,
            response_serializer=alpha_pb2.ServerReflectionResponse.SerializeToString)
        # v1 and v1alpha carry the same messages: one servicer serves both paths.
        return grpc.method_handlers_generic_handler(
            f"grpc.reflection.{version}.ServerReflection", {"ServerReflectionInfo": handler})

    versions = {"both": ["v1", "v1alpha"], "v1alpha": ["v1alpha"], "v1": ["v1"],
                "v1-lean": ["v1"], "none": []}[reflection]
    lean = reflection == "v1-lean"
    server.add_generic_rpc_handlers([reflection_handler(version, lean) for version in versions])
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    print(f"listening {port}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
