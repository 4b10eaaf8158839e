# The ConOps agent as a container: one Native AOT binary that manages the engine whose socket is mounted
# at /var/run/docker.sock, keeping its identity and last desired state in /var/lib/conops-agent.
#
# Two ways to build it (docs/deploy.md):
#   From source, where the .NET SDK image can be pulled:
#     docker build -f deploy/agent.Dockerfile -t conops/agent .
#   From this machine's own publish, pulling nothing (BASE_IMAGE must exist locally, e.g. deploy/base-image.sh):
#     deploy/publish.sh agent
#     docker build -f deploy/agent.Dockerfile --target prebuilt --build-arg BASE_IMAGE=conops-local/debian:bookworm -t conops/agent .
#
# The agent runs as uid 10002. Reaching the socket needs its group: `--group-add <gid of docker.sock>`
# (compose: group_add). Root is never required.
ARG BASE_IMAGE=debian:bookworm-slim
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0

FROM ${BASE_IMAGE} AS runtime
RUN echo 'conops-agent:x:10002:10002:ConOps agent:/var/lib/conops-agent:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'conops-agent:x:10002:' >> /etc/group \
 && mkdir -p /var/lib/conops-agent \
 && chown 10002:10002 /var/lib/conops-agent
ENV ConOps__Agent__DataDirectory=/var/lib/conops-agent \
    ConOps__Agent__DockerEndpoint=unix:///var/run/docker.sock \
    ConOps__Agent__HealthUrl=http://127.0.0.1:9101/
VOLUME /var/lib/conops-agent
USER 10002:10002
# Ready = the engine answers and the stream to the console is open (bash's /dev/tcp: no curl needed).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9101 && printf 'GET /readyz HTTP/1.0\\r\\nHost: 127.0.0.1:9101\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/conops-agent"]

# The agent published on the build machine by deploy/publish.sh.
FROM runtime AS prebuilt
COPY artifacts/publish/agent/conops-agent /usr/local/bin/conops-agent

# The agent compiled inside the SDK image (Native AOT needs clang and zlib there).
FROM ${SDK_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/Agent -c Release -r linux-x64 -p:DebugType=none -o /out

FROM runtime AS from-source
COPY --from=build /out/conops-agent /usr/local/bin/conops-agent
