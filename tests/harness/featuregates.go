package main

// The kubernetes_feature_enabled family a fake kubelet serves. A real kubelet reports every gate
// compiled into it (179 in 1.32, 208 in 1.34, 254 in 1.37); we keep a representative subset. For
// 1.32, 1.34 and 1.37 every series here is the real kubelet's (stage and default), as captured in
// tests/fixtures/metrics/real-kubelet-*.txt and checked by tests/e2e_fake_kubelet_vs_real.rs;
// between those minors a change is put at the first captured minor that shows it, so 1.33 and
// 1.35-1.36 are approximate. SidecarContainers is exact for every minor
// (/work/shared/k8s-sidecar-facts.md): checks read that one.

type gateLife struct {
	name string
	// Minors where the gate became alpha, beta, GA, and was removed; 0 = never (or before 1.20).
	alpha, beta, ga, removed int
	// alphaOn, betaOn: default when alpha, beta; betaOnFrom: beta and on from that minor (the
	// default flipped during beta). deprecated: reported with stage DEPRECATED from that minor.
	alphaOn, betaOn bool
	betaOnFrom      int
	deprecated      int
}

var gateTable = []gateLife{
	{name: "APIResponseCompression", alpha: 7, beta: 16, betaOn: true},
	{name: "AnyVolumeDataSource", alpha: 18, beta: 24, ga: 33, removed: 37, betaOn: true},
	{name: "AppArmor", beta: 4, ga: 31, removed: 33, betaOn: true},
	{name: "CPUManagerPolicyAlphaOptions", alpha: 23},
	{name: "CPUManagerPolicyBetaOptions", beta: 23, betaOn: true},
	{name: "CPUManagerPolicyOptions", alpha: 22, beta: 23, ga: 33, betaOn: true},
	{name: "ContainerCheckpoint", alpha: 25, beta: 30, betaOn: true},
	{name: "ContainerStopSignals", alpha: 33},
	{name: "DisableCloudProviders", alpha: 22, beta: 29, ga: 31, removed: 33, betaOn: true},
	{name: "DynamicResourceAllocation", alpha: 26, beta: 32, ga: 34},
	{name: "ExecProbeTimeout", ga: 20},
	{name: "GracefulNodeShutdown", alpha: 20, beta: 21, betaOn: true},
	{name: "GracefulNodeShutdownBasedOnPodPriority", alpha: 23, beta: 24, betaOn: true},
	{name: "HPAScaleToZero", alpha: 16, beta: 37, betaOn: true},
	{name: "ImageMaximumGCAge", alpha: 29, beta: 30, ga: 37, betaOn: true},
	{name: "ImageVolume", alpha: 31, beta: 33, ga: 37},
	{name: "InPlacePodVerticalScaling", alpha: 27, beta: 33, ga: 35, betaOn: true},
	{name: "JobPodFailurePolicy", alpha: 25, beta: 26, ga: 31, removed: 33, betaOn: true},
	{name: "KubeletCgroupDriverFromCRI", alpha: 28, beta: 31, ga: 34, betaOn: true},
	{name: "KubeletFineGrainedAuthz", alpha: 32, beta: 33, ga: 36, betaOn: true},
	{name: "KubeletInUserNamespace", alpha: 22, beta: 37, betaOn: true},
	{name: "KubeletPSI", alpha: 33, beta: 34, ga: 37, betaOn: true},
	{name: "KubeletPodResourcesDynamicResources", alpha: 27, beta: 34, ga: 37, betaOn: true},
	{name: "KubeletPodResourcesGet", alpha: 27, beta: 34, ga: 37, betaOn: true},
	{name: "KubeletSeparateDiskGC", alpha: 29, beta: 31, betaOn: true},
	{name: "KubeletTracing", alpha: 25, beta: 27, ga: 34, betaOn: true},
	{name: "LegacySidecarContainers", deprecated: 33, removed: 34},
	{name: "LocalStorageCapacityIsolationFSQuotaMonitoring", alpha: 15, beta: 31},
	{name: "MatchLabelKeysInPodAffinity", alpha: 29, beta: 31, ga: 33, betaOn: true},
	{name: "MemoryManager", alpha: 21, beta: 22, ga: 32, removed: 37, betaOn: true},
	{name: "MemoryQoS", alpha: 22, beta: 37, betaOn: true},
	{name: "NodeInclusionPolicyInPodTopologySpread", alpha: 25, beta: 26, ga: 33, betaOn: true},
	{name: "NodeLogQuery", alpha: 27, beta: 30, ga: 37},
	{name: "NodeSwap", alpha: 22, beta: 28, ga: 34, betaOn: true},
	{name: "PodAndContainerStatsFromCRI", alpha: 23, beta: 37},
	{name: "PodDisruptionConditions", alpha: 25, beta: 26, ga: 31, removed: 33, betaOn: true},
	{name: "PodHostIPs", alpha: 28, beta: 29, ga: 30, removed: 32, betaOn: true},
	{name: "PodLevelResources", alpha: 32, beta: 34, betaOn: true},
	{name: "PodLifecycleSleepAction", alpha: 29, beta: 30, ga: 34, removed: 37, betaOn: true},
	{name: "PodObservedGenerationTracking", alpha: 33, beta: 34, ga: 37, betaOn: true},
	{name: "PodReadyToStartContainersCondition", alpha: 28, beta: 29, ga: 37, betaOn: true},
	{name: "PodSchedulingReadiness", alpha: 26, beta: 27, ga: 30, removed: 32, betaOn: true},
	{name: "ProcMountType", alpha: 12, beta: 31, ga: 37, betaOnFrom: 34},
	{name: "RecursiveReadOnlyMounts", alpha: 30, beta: 31, ga: 33, betaOn: true},
	{name: "RelaxedEnvironmentVariableValidation", alpha: 30, beta: 32, ga: 34, betaOn: true},
	{name: "ResourceHealthStatus", alpha: 31, beta: 37, betaOn: true},
	{name: "RotateKubeletServerCertificate", alpha: 7, beta: 12, betaOn: true},
	{name: "RuntimeClassInImageCriApi", alpha: 29},
	{name: "SELinuxMountReadWriteOncePod", alpha: 25, beta: 27, ga: 37, betaOn: true},
	{name: "SeparateTaintEvictionController", beta: 29, ga: 34, betaOn: true},
	{name: "ServiceAccountTokenNodeBinding", alpha: 29, beta: 31, ga: 33, betaOn: true},
	{name: "SizeMemoryBackedVolumes", alpha: 20, beta: 22, ga: 32, removed: 37, betaOn: true},
	{name: "StatefulSetAutoDeletePVC", alpha: 23, beta: 27, ga: 32, removed: 37, betaOn: true},
	{name: "StorageVersionMigrator", alpha: 30, ga: 37},
	{name: "SupplementalGroupsPolicy", alpha: 31, beta: 33, ga: 37, betaOn: true},
	{name: "TopologyManagerPolicyAlphaOptions", alpha: 26},
	{name: "TopologyManagerPolicyBetaOptions", beta: 26, betaOn: true},
	{name: "TopologyManagerPolicyOptions", alpha: 26, beta: 28, ga: 32, betaOn: true},
	{name: "UserNamespacesSupport", alpha: 25, beta: 30, ga: 37, betaOnFrom: 34},
	{name: "VolumeAttributesClass", alpha: 29, beta: 31, ga: 34},
	{name: "WatchList", alpha: 27, beta: 32, betaOn: true},
	{name: "WindowsHostNetwork", alpha: 26, alphaOn: true, deprecated: 34},
}

// gateAt returns the series a kubelet of this minor reports for the gate, or ok=false when the
// gate does not exist in that minor.
func (g gateLife) at(minor int) (GateSeries, bool) {
	switch {
	case g.removed != 0 && minor >= g.removed:
		return GateSeries{}, false
	case g.deprecated != 0 && minor >= g.deprecated:
		return GateSeries{Stage: "DEPRECATED"}, true
	case g.ga != 0 && minor >= g.ga:
		return GateSeries{Enabled: true, Stage: ""}, true
	case g.beta != 0 && minor >= g.beta:
		return GateSeries{Enabled: g.betaOn || (g.betaOnFrom != 0 && minor >= g.betaOnFrom), Stage: "BETA"}, true
	case g.alpha != 0 && minor >= g.alpha:
		return GateSeries{Enabled: g.alphaOn, Stage: "ALPHA"}, true
	case g.ga != 0 && g.ga <= 20 && minor >= g.ga:
		return GateSeries{Enabled: true}, true
	}
	return GateSeries{}, false
}

// sidecarSeriesFor is what a kubelet (or apiserver) of this minor reports for SidecarContainers
// with default flags.
func sidecarSeriesFor(minor int) GateSeries {
	switch {
	case minor < 28 || minor >= 37:
		return GateSeries{Absent: true}
	case minor == 28:
		return GateSeries{Enabled: false, Stage: "ALPHA"}
	case minor <= 32:
		return GateSeries{Enabled: true, Stage: "BETA"}
	default:
		return GateSeries{Enabled: true, Stage: ""}
	}
}
