package io.swarmnet.operator.service;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.ipam.AddressLedger;

/**
 * Runs each SwarmService's tasks as Pods. Work in progress: this first version only fixes the
 * constructor the operator process uses; task orchestration follows.
 */
@ControllerConfiguration(name = "swarmservice")
public final class SwarmServiceReconciler implements Reconciler<SwarmService> {

    private final AddressLedger ledger;
    private final OperatorConfig config;

    public SwarmServiceReconciler(AddressLedger ledger, OperatorConfig config) {
        this.ledger = ledger;
        this.config = config;
    }

    @Override
    public UpdateControl<SwarmService> reconcile(SwarmService service, Context<SwarmService> context) {
        return UpdateControl.noUpdate();
    }
}
