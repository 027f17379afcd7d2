# swarmnet: one image, two entry points.
#
#   docker build -t swarmnet/swarmnet:0.1.0 .
#   docker run --rm swarmnet/swarmnet:0.1.0 operator   # the operator (runs as uid 10001)
#   docker run --rm swarmnet/swarmnet:0.1.0 agent      # the node agent (the chart runs it as root,
#                                                      # host network and PID, see charts/swarmnet)
#   swarmnet wait-attached --name SVC --address NET=IP # the first (init) container of every task pod
#
# Stage 1 builds the two runnable (shaded) jars with the same command as ./swarmnet and README;
# stage 2 is a JRE plus the two kernel tools the agent drives (ip/bridge from iproute2, nft).

# The base images are arguments so that a machine without a registry can pass images it made itself
# (./swarmnet cluster builds them from Debian's packages); `docker build` uses these defaults.
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre-noble

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# .dockerignore keeps target/, .git and the like out of the context
COPY . .
RUN mvn -B -q -DskipTests install \
 && mkdir /out \
 && for pair in operator:operator node-daemonset:agent; do \
      module="${pair%%:*}"; name="${pair##*:}"; \
      set -- "$module"/target/swarmnet-"$module"-*-all.jar; \
      if [ ! -f "$1" ] || [ "$#" -ne 1 ]; then \
        echo "expected one runnable jar $module/target/swarmnet-$module-*-all.jar (maven-shade-plugin, classifier all), found: $*" >&2; \
        exit 1; \
      fi; \
      cp "$1" "/out/$name.jar"; \
    done

FROM ${RUNTIME_IMAGE}
# iproute2: ip (links, addresses, routes, neighbours, netns, xfrm) and bridge (FDB);
# nftables: nft and, through its dependency libnftables1, libnftables.so.1, which the agent loads to program
# nftables from a thread inside each namespace (nft is then started only where the library cannot be loaded);
# procps: sysctl; util-linux: nsenter.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 nftables procps util-linux \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 swarmnet \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin swarmnet
COPY --from=build /out/operator.jar /out/agent.jar /opt/swarmnet/
# The entry point: `swarmnet operator` or `swarmnet agent`; JAVA_OPTS reaches the JVM.
RUN printf '%s\n' \
      '#!/bin/sh' \
      '# swarmnet image entry point: swarmnet operator|agent|dns|wait-attached [args...]' \
      'set -eu' \
      'component="${1:-}"' \
      'case "$component" in' \
      '  operator|agent) shift; exec java $JAVA_OPTS -jar "/opt/swarmnet/$component.jar" "$@" ;;' \
      '  dns) shift; exec java $JAVA_OPTS -cp /opt/swarmnet/agent.jar io.swarmnet.agent.dns.ResolverProcess "$@" ;;' \
      '  wait-attached) shift; exec java $JAVA_OPTS -cp /opt/swarmnet/agent.jar io.swarmnet.agent.attach.WaitAttached "$@" ;;' \
      '  *) echo "usage: swarmnet operator|agent|dns|wait-attached (got: ${component:-nothing})" >&2; exit 2 ;;' \
      'esac' > /usr/local/bin/swarmnet \
 && chmod 0755 /usr/local/bin/swarmnet
# Heap from the container's memory limit; die (and be restarted) rather than limp on after an OOM.
ENV JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
# Non-root by default: the operator needs no privilege. The agent's pod sets runAsUser 0.
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/swarmnet"]
CMD ["operator"]
