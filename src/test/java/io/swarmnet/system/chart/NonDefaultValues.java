package io.swarmnet.system.chart;

/** A values file that changes every setting the chart promises to make configurable. */
final class NonDefaultValues {

    static final String YAML = """
            image:
              repository: registry.example.test/team/swarmnet
              tag: 1.2.3-test
              pullPolicy: Always
            imagePullSecrets:
              - name: pull-secret
            logLevel: DEBUG
            network:
              addressPools: [172.20.0.0/14, 192.168.128.0/17]
              poolSubnetSize: 26
              excludedCidrs: [172.21.0.0/16]
              clusterDomain: corp.internal
            encryption:
              keyRotationInterval: 30m
            dns:
              upstream: 198.18.0.53:5353
            operator:
              replicas: 3
              watchNamespaces: [team-a, team-b]
              httpPort: 8181
              resources:
                requests: {cpu: 250m, memory: 300Mi}
                limits: {memory: 600Mi}
              nodeSelector: {node-role.kubernetes.io/control-plane: ""}
              tolerations:
                - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
            agent:
              httpPort: 9700
              encryptionMode: userspace
              stateDir: /srv/swarmnet-state
              resources:
                requests: {cpu: 50m, memory: 128Mi}
                limits: {cpu: "1", memory: 1Gi}
              nodeSelector: {swarmnet.io/overlay: "true"}
              tolerations:
                - {key: dedicated, operator: Equal, value: network, effect: NoExecute}
            metrics:
              serviceMonitor:
                enabled: true
                interval: 15s
                labels: {release: prometheus}
            """;

    private NonDefaultValues() {
    }
}
