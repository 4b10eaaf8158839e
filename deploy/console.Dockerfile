# The ConOps console: UI and API on 8080 (HTTP), agents on 8081 (TLS with its own certificate), everything
# it keeps (database, Git clones, keys, certificate) in /var/lib/conops.
#
# Two ways to build it (docs/deploy.md):
#   From source, where the .NET SDK image can be pulled:
#     docker build -f deploy/console.Dockerfile -t conops/console .
#   From this machine's own publish, pulling nothing (BASE_IMAGE must exist locally, e.g. deploy/base-image.sh):
#     deploy/publish.sh console
#     docker build -f deploy/console.Dockerfile --target prebuilt --build-arg BASE_IMAGE=conops-local/debian:bookworm -t conops/console .
ARG BASE_IMAGE=debian:bookworm-slim
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0

FROM ${BASE_IMAGE} AS runtime
# A fixed non-root user, written directly: minimal base images may have no useradd.
RUN echo 'conops:x:10001:10001:ConOps console:/var/lib/conops:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'conops:x:10001:' >> /etc/group \
 && mkdir -p /var/lib/conops /opt/conops \
 && chown 10001:10001 /var/lib/conops
ENV ConOps__Console__UiUrl=http://0.0.0.0:8080 \
    ConOps__Console__AgentUrl=https://0.0.0.0:8081 \
    ConOps__Console__DataDirectory=/var/lib/conops \
    DOTNET_gcServer=0
EXPOSE 8080 8081
VOLUME /var/lib/conops
WORKDIR /opt/conops
USER 10001:10001
# bash's /dev/tcp instead of curl, so the probe works on any base image with bash.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\nHost: 127.0.0.1:8080\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/opt/conops/conops-console"]

# The console published on the build machine by deploy/publish.sh.
FROM runtime AS prebuilt
COPY artifacts/publish/console/ /opt/conops/

# The console published inside the SDK image.
FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Console -c Release -r linux-x64 --self-contained -p:PublishAot=false -p:DebugType=none -o /out

FROM runtime AS from-source
COPY --from=build /out/ /opt/conops/
