#compdef kubectl-sidecar

autoload -U is-at-least

_kubectl-sidecar() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--kubeconfig=[Path to the kubeconfig file to use (default\: \$KUBECONFIG, then ~/.kube/config)]:PATH:_files' \
'*--context=[The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor\: one summary row per cluster, then each cluster'\''s report)]:NAME:' \
'--max-clusters=[With several contexts\: how many clusters are examined at once (the others wait their turn; each cluster'\''s --timeout starts when its turn does)]:N:_default' \
'--cluster=[The name of the kubeconfig cluster to use]:NAME:' \
'--user=[The name of the kubeconfig user to use]:NAME:' \
'-n+[The namespace scope for this request]:NAMESPACE:' \
'--namespace=[The namespace scope for this request]:NAMESPACE:' \
'--as=[Username to impersonate for the operation]:USER:' \
'*--as-group=[Group to impersonate for the operation; repeat for several groups]:GROUP:' \
'--request-timeout=[How long to wait for a single request, as kubectl takes it\: "30s", "1m", "500ms"; "0" leaves only --timeout]:DURATION:' \
'--timeout=[How long the whole command may take\: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4]:DURATION:' \
'-o+[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--output=[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--color=[When to color the table output; \`auto\` colors only a terminal and honours NO_COLOR]:WHEN:(auto always never)' \
'(--context)--all-contexts[Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_kubectl-sidecar_commands" \
"*::: :->kubectl-sidecar" \
&& ret=0
    case $state in
    (kubectl-sidecar)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:kubectl-sidecar-command-$line[1]:"
        case $line[1] in
            (check-nodes)
_arguments "${_arguments_options[@]}" : \
'-l+[Only nodes matching this label selector (e.g. \`pool=blue,!spot\`)]:SELECTOR:_default' \
'--selector=[Only nodes matching this label selector (e.g. \`pool=blue,!spot\`)]:SELECTOR:_default' \
'--concurrency=[How many kubelets to query at once]:N:_default' \
'--node-timeout=[Give up on one kubelet'\''s metrics after this long (e.g. 5s)]:DURATION:_default' \
'--deadline=[Stop waiting for kubelets after this long overall; unanswered nodes become \`unknown\`]:DURATION:_default' \
'(--save-snapshot)--snapshot=[Analyse a saved snapshot instead of a live cluster]:FILE:_files' \
'--save-snapshot=[Save the collected facts to FILE (JSON) for offline analysis with --snapshot]:FILE:_files' \
'--fail-on=[Exit 1 when a finding at or above this severity exists (\`never\`\: findings never do; an incomplete run still exits 4)]:SEVERITY:(error warning info never)' \
'-n+[The namespace scope for this request]:NAMESPACE:' \
'--namespace=[The namespace scope for this request]:NAMESPACE:' \
'--kubeconfig=[Path to the kubeconfig file to use (default\: \$KUBECONFIG, then ~/.kube/config)]:PATH:_files' \
'*--context=[The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor\: one summary row per cluster, then each cluster'\''s report)]:NAME:' \
'--max-clusters=[With several contexts\: how many clusters are examined at once (the others wait their turn; each cluster'\''s --timeout starts when its turn does)]:N:_default' \
'--cluster=[The name of the kubeconfig cluster to use]:NAME:' \
'--user=[The name of the kubeconfig user to use]:NAME:' \
'--as=[Username to impersonate for the operation]:USER:' \
'*--as-group=[Group to impersonate for the operation; repeat for several groups]:GROUP:' \
'--request-timeout=[How long to wait for a single request, as kubectl takes it\: "30s", "1m", "500ms"; "0" leaves only --timeout]:DURATION:' \
'--timeout=[How long the whole command may take\: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4]:DURATION:' \
'-o+[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--output=[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--color=[When to color the table output; \`auto\` colors only a terminal and honours NO_COLOR]:WHEN:(auto always never)' \
'(--context)--all-contexts[Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::nodes -- Only these nodes, by name (as `kubectl get nodes NAME...`); with -l, a node must match both:_default' \
&& ret=0
;;
(diff-pod)
_arguments "${_arguments_options[@]}" : \
'*-f+[Manifest file, directory, or \`-\` for stdin, whose pod templates are dry-run created]:FILE|DIR|-:_files' \
'*--filename=[Manifest file, directory, or \`-\` for stdin, whose pod templates are dry-run created]:FILE|DIR|-:_files' \
'(--save-snapshot)--snapshot=[Analyse the dry runs saved in a snapshot (\`snapshot -f\`, \`diff-pod --save-snapshot\`) instead of a cluster; with POD, only that object]:FILE:_files' \
'--save-snapshot=[Save the collected facts (redacted) to FILE (JSON) for offline analysis with --snapshot]:FILE:_files' \
'--fail-on=[Exit 1 when a finding at or above this severity exists (\`never\`\: findings never do; an incomplete run still exits 4)]:SEVERITY:(error warning info never)' \
'--max-clusters=[With several contexts\: how many clusters are examined at once (the others wait their turn; each cluster'\''s --timeout starts when its turn does)]:N:_default' \
'--kubeconfig=[Path to the kubeconfig file to use (default\: \$KUBECONFIG, then ~/.kube/config)]:PATH:_files' \
'*--context=[The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor\: one summary row per cluster, then each cluster'\''s report)]:NAME:' \
'--cluster=[The name of the kubeconfig cluster to use]:NAME:' \
'--user=[The name of the kubeconfig user to use]:NAME:' \
'-n+[The namespace scope for this request]:NAMESPACE:' \
'--namespace=[The namespace scope for this request]:NAMESPACE:' \
'--as=[Username to impersonate for the operation]:USER:' \
'*--as-group=[Group to impersonate for the operation; repeat for several groups]:GROUP:' \
'--request-timeout=[How long to wait for a single request, as kubectl takes it\: "30s", "1m", "500ms"; "0" leaves only --timeout]:DURATION:' \
'--timeout=[How long the whole command may take\: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4]:DURATION:' \
'-o+[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--output=[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--color=[When to color the table output; \`auto\` colors only a terminal and honours NO_COLOR]:WHEN:(auto always never)' \
'-R[Read the directories given with -f and all their subdirectories]' \
'--recursive[Read the directories given with -f and all their subdirectories]' \
'--show-defaults[Also show the fields the apiserver filled in by defaulting]' \
'--blame[Call each matching webhook yourself (dry run) to name the one that strips restartPolicy]' \
'(--context)--all-contexts[Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::pod -- A live pod to compare against what was submitted for it:_default' \
&& ret=0
;;
(doctor)
_arguments "${_arguments_options[@]}" : \
'-l+[Only workloads matching this label selector]:SELECTOR:_default' \
'--selector=[Only workloads matching this label selector]:SELECTOR:_default' \
'--fail-on=[Exit 1 when a finding at or above this severity exists (\`never\`\: findings never do; an incomplete run still exits 4)]:SEVERITY:(error warning info never)' \
'(--save-snapshot)--snapshot=[Analyse a saved snapshot instead of a live cluster]:FILE:_files' \
'--save-snapshot=[Save the collected facts to FILE (JSON) for offline analysis with --snapshot]:FILE:_files' \
'*-f+[With --offline\: a manifest file, a directory of them, or \`-\` for stdin; repeatable]:FILE|DIR|-:_files' \
'*--filename=[With --offline\: a manifest file, a directory of them, or \`-\` for stdin; repeatable]:FILE|DIR|-:_files' \
'--target-version=[With --offline\: apply this Kubernetes minor'\''s rules (e.g. 1.34; default\: the newest this build knows, see \`kubectl sidecar version\`)]:1.NN:_default' \
'--kubeconfig=[Path to the kubeconfig file to use (default\: \$KUBECONFIG, then ~/.kube/config)]:PATH:_files' \
'*--context=[The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor\: one summary row per cluster, then each cluster'\''s report)]:NAME:' \
'--max-clusters=[With several contexts\: how many clusters are examined at once (the others wait their turn; each cluster'\''s --timeout starts when its turn does)]:N:_default' \
'--cluster=[The name of the kubeconfig cluster to use]:NAME:' \
'--user=[The name of the kubeconfig user to use]:NAME:' \
'-n+[The namespace scope for this request]:NAMESPACE:' \
'--namespace=[The namespace scope for this request]:NAMESPACE:' \
'--as=[Username to impersonate for the operation]:USER:' \
'*--as-group=[Group to impersonate for the operation; repeat for several groups]:GROUP:' \
'--request-timeout=[How long to wait for a single request, as kubectl takes it\: "30s", "1m", "500ms"; "0" leaves only --timeout]:DURATION:' \
'--timeout=[How long the whole command may take\: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4]:DURATION:' \
'-o+[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--output=[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--color=[When to color the table output; \`auto\` colors only a terminal and honours NO_COLOR]:WHEN:(auto always never)' \
'(-n --namespace)-A[Look at workloads in every namespace]' \
'(-n --namespace)--all-namespaces[Look at workloads in every namespace]' \
'(--snapshot --save-snapshot -A --all-namespaces -l --selector)--offline[Check manifests (-f) instead of a cluster\: every check a pod template decides, no kubeconfig, no connection]' \
'-R[With --offline\: read the directories given with -f and all their subdirectories]' \
'--recursive[With --offline\: read the directories given with -f and all their subdirectories]' \
'(--context)--all-contexts[Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(snapshot)
_arguments "${_arguments_options[@]}" : \
'-l+[Only workloads matching this label selector]:SELECTOR:_default' \
'--selector=[Only workloads matching this label selector]:SELECTOR:_default' \
'*-f+[Also dry-run the pod templates of these manifests (file, directory, or \`-\` for stdin; repeatable), as diff-pod -f does, and save what admission made of them]:FILE|DIR|-:_files' \
'*--filename=[Also dry-run the pod templates of these manifests (file, directory, or \`-\` for stdin; repeatable), as diff-pod -f does, and save what admission made of them]:FILE|DIR|-:_files' \
'--max-clusters=[With several contexts\: how many clusters are examined at once (the others wait their turn; each cluster'\''s --timeout starts when its turn does)]:N:_default' \
'--color=[When to color the table output; \`auto\` colors only a terminal and honours NO_COLOR]:WHEN:(auto always never)' \
'-o+[The file to write the snapshot to (JSON); \`-\` for stdout]:FILE:_files' \
'--output=[The file to write the snapshot to (JSON); \`-\` for stdout]:FILE:_files' \
'--kubeconfig=[Path to the kubeconfig file to use (default\: \$KUBECONFIG, then ~/.kube/config)]:PATH:_files' \
'*--context=[The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor\: one summary row per cluster, then each cluster'\''s report)]:NAME:' \
'--cluster=[The name of the kubeconfig cluster to use]:NAME:' \
'--user=[The name of the kubeconfig user to use]:NAME:' \
'-n+[The namespace scope for this request]:NAMESPACE:' \
'--namespace=[The namespace scope for this request]:NAMESPACE:' \
'--as=[Username to impersonate for the operation]:USER:' \
'*--as-group=[Group to impersonate for the operation; repeat for several groups]:GROUP:' \
'--request-timeout=[How long to wait for a single request, as kubectl takes it\: "30s", "1m", "500ms"; "0" leaves only --timeout]:DURATION:' \
'--timeout=[How long the whole command may take\: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4]:DURATION:' \
'(-n --namespace)-A[Collect workloads in every namespace]' \
'(-n --namespace)--all-namespaces[Collect workloads in every namespace]' \
'-R[Read the directories given with -f and all their subdirectories]' \
'--recursive[Read the directories given with -f and all their subdirectories]' \
'(--context)--all-contexts[Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(rbac)
_arguments "${_arguments_options[@]}" : \
'*--subject=[Who to bind it to\: \`User\:NAME\`, \`Group\:NAME\` or \`ServiceAccount\:NAMESPACE\:NAME\`; repeat for several]:KIND:NAME:' \
'*--omit=[Leave out a rule you will not grant (its id is in the comment above it); the run then reports what it could not read. Repeat for several]:RULE:(version metrics nodes nodes-proxy namespaces pods-read pods-dry-run events workloads replicasets jobs replicationcontrollers leases webhooks services-proxy)' \
'--name=[Name of the ClusterRole, Roles and bindings]:NAME:' \
'--kubeconfig=[Path to the kubeconfig file to use (default\: \$KUBECONFIG, then ~/.kube/config)]:PATH:_files' \
'*--context=[The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor\: one summary row per cluster, then each cluster'\''s report)]:NAME:' \
'--max-clusters=[With several contexts\: how many clusters are examined at once (the others wait their turn; each cluster'\''s --timeout starts when its turn does)]:N:_default' \
'--cluster=[The name of the kubeconfig cluster to use]:NAME:' \
'--user=[The name of the kubeconfig user to use]:NAME:' \
'--as=[Username to impersonate for the operation]:USER:' \
'*--as-group=[Group to impersonate for the operation; repeat for several groups]:GROUP:' \
'--request-timeout=[How long to wait for a single request, as kubectl takes it\: "30s", "1m", "500ms"; "0" leaves only --timeout]:DURATION:' \
'--timeout=[How long the whole command may take\: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4]:DURATION:' \
'-o+[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--output=[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--color=[When to color the table output; \`auto\` colors only a terminal and honours NO_COLOR]:WHEN:(auto always never)' \
'-n+[The namespace scope for this request]:NAMESPACE:' \
'--namespace=[The namespace scope for this request]:NAMESPACE:' \
'--namespace-scoped[Grant the namespaced reads only in the namespace of -n (plus kube-system for the control plane), instead of in every namespace. Enough for \`doctor -n\` and \`check-nodes\`]' \
'--istio[With --namespace-scoped\: also let doctor find istiod in istio-system (a Role there, so that namespace must exist)]' \
'(--context)--all-contexts[Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(completion)
_arguments "${_arguments_options[@]}" : \
'--kubeconfig=[Path to the kubeconfig file to use (default\: \$KUBECONFIG, then ~/.kube/config)]:PATH:_files' \
'*--context=[The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor\: one summary row per cluster, then each cluster'\''s report)]:NAME:' \
'--max-clusters=[With several contexts\: how many clusters are examined at once (the others wait their turn; each cluster'\''s --timeout starts when its turn does)]:N:_default' \
'--cluster=[The name of the kubeconfig cluster to use]:NAME:' \
'--user=[The name of the kubeconfig user to use]:NAME:' \
'-n+[The namespace scope for this request]:NAMESPACE:' \
'--namespace=[The namespace scope for this request]:NAMESPACE:' \
'--as=[Username to impersonate for the operation]:USER:' \
'*--as-group=[Group to impersonate for the operation; repeat for several groups]:GROUP:' \
'--request-timeout=[How long to wait for a single request, as kubectl takes it\: "30s", "1m", "500ms"; "0" leaves only --timeout]:DURATION:' \
'--timeout=[How long the whole command may take\: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4]:DURATION:' \
'-o+[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--output=[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--color=[When to color the table output; \`auto\` colors only a terminal and honours NO_COLOR]:WHEN:(auto always never)' \
'(--context)--all-contexts[Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(version)
_arguments "${_arguments_options[@]}" : \
'--kubeconfig=[Path to the kubeconfig file to use (default\: \$KUBECONFIG, then ~/.kube/config)]:PATH:_files' \
'*--context=[The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor\: one summary row per cluster, then each cluster'\''s report)]:NAME:' \
'--max-clusters=[With several contexts\: how many clusters are examined at once (the others wait their turn; each cluster'\''s --timeout starts when its turn does)]:N:_default' \
'--cluster=[The name of the kubeconfig cluster to use]:NAME:' \
'--user=[The name of the kubeconfig user to use]:NAME:' \
'-n+[The namespace scope for this request]:NAMESPACE:' \
'--namespace=[The namespace scope for this request]:NAMESPACE:' \
'--as=[Username to impersonate for the operation]:USER:' \
'*--as-group=[Group to impersonate for the operation; repeat for several groups]:GROUP:' \
'--request-timeout=[How long to wait for a single request, as kubectl takes it\: "30s", "1m", "500ms"; "0" leaves only --timeout]:DURATION:' \
'--timeout=[How long the whole command may take\: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4]:DURATION:' \
'--color=[When to color the table output; \`auto\` colors only a terminal and honours NO_COLOR]:WHEN:(auto always never)' \
'-o+[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--output=[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'(--context)--all-contexts[Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'--kubeconfig=[Path to the kubeconfig file to use (default\: \$KUBECONFIG, then ~/.kube/config)]:PATH:_files' \
'*--context=[The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor\: one summary row per cluster, then each cluster'\''s report)]:NAME:' \
'--max-clusters=[With several contexts\: how many clusters are examined at once (the others wait their turn; each cluster'\''s --timeout starts when its turn does)]:N:_default' \
'--cluster=[The name of the kubeconfig cluster to use]:NAME:' \
'--user=[The name of the kubeconfig user to use]:NAME:' \
'-n+[The namespace scope for this request]:NAMESPACE:' \
'--namespace=[The namespace scope for this request]:NAMESPACE:' \
'--as=[Username to impersonate for the operation]:USER:' \
'*--as-group=[Group to impersonate for the operation; repeat for several groups]:GROUP:' \
'--request-timeout=[How long to wait for a single request, as kubectl takes it\: "30s", "1m", "500ms"; "0" leaves only --timeout]:DURATION:' \
'--timeout=[How long the whole command may take\: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4]:DURATION:' \
'-o+[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--output=[Output format\: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings]:FORMAT:(table wide json yaml sarif junit)' \
'--color=[When to color the table output; \`auto\` colors only a terminal and honours NO_COLOR]:WHEN:(auto always never)' \
'(--context)--all-contexts[Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_kubectl-sidecar__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:kubectl-sidecar-help-command-$line[1]:"
        case $line[1] in
            (check-nodes)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(diff-pod)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(doctor)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(snapshot)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(rbac)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completion)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(version)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_kubectl-sidecar_commands] )) ||
_kubectl-sidecar_commands() {
    local commands; commands=(
'check-nodes:Check the apiserver and every kubelet\: version, SidecarContainers gate, skew, verdict per node and pool' \
'diff-pod:Compare a submitted pod spec with what admission made of it, and name who stripped restartPolicy' \
'doctor:Run every check and print one report with a verdict and the next steps' \
'snapshot:Save what check-nodes, doctor and diff-pod analyse to one file, for --snapshot elsewhere' \
'rbac:Print the least-privilege RBAC (ClusterRole and binding) for the people who run this tool' \
'completion:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'version:Print the version, the git commit and the Kubernetes versions this build knows' \
'man:Print the manual page (roff), generated from these flags' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'kubectl-sidecar commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__check-nodes_commands] )) ||
_kubectl-sidecar__subcmd__check-nodes_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar check-nodes commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__completion_commands] )) ||
_kubectl-sidecar__subcmd__completion_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar completion commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__diff-pod_commands] )) ||
_kubectl-sidecar__subcmd__diff-pod_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar diff-pod commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__doctor_commands] )) ||
_kubectl-sidecar__subcmd__doctor_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar doctor commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__help_commands] )) ||
_kubectl-sidecar__subcmd__help_commands() {
    local commands; commands=(
'check-nodes:Check the apiserver and every kubelet\: version, SidecarContainers gate, skew, verdict per node and pool' \
'diff-pod:Compare a submitted pod spec with what admission made of it, and name who stripped restartPolicy' \
'doctor:Run every check and print one report with a verdict and the next steps' \
'snapshot:Save what check-nodes, doctor and diff-pod analyse to one file, for --snapshot elsewhere' \
'rbac:Print the least-privilege RBAC (ClusterRole and binding) for the people who run this tool' \
'completion:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'version:Print the version, the git commit and the Kubernetes versions this build knows' \
'man:Print the manual page (roff), generated from these flags' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'kubectl-sidecar help commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__help__subcmd__check-nodes_commands] )) ||
_kubectl-sidecar__subcmd__help__subcmd__check-nodes_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar help check-nodes commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__help__subcmd__completion_commands] )) ||
_kubectl-sidecar__subcmd__help__subcmd__completion_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar help completion commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__help__subcmd__diff-pod_commands] )) ||
_kubectl-sidecar__subcmd__help__subcmd__diff-pod_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar help diff-pod commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__help__subcmd__doctor_commands] )) ||
_kubectl-sidecar__subcmd__help__subcmd__doctor_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar help doctor commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__help__subcmd__help_commands] )) ||
_kubectl-sidecar__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar help help commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__help__subcmd__man_commands] )) ||
_kubectl-sidecar__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar help man commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__help__subcmd__rbac_commands] )) ||
_kubectl-sidecar__subcmd__help__subcmd__rbac_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar help rbac commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__help__subcmd__snapshot_commands] )) ||
_kubectl-sidecar__subcmd__help__subcmd__snapshot_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar help snapshot commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__help__subcmd__version_commands] )) ||
_kubectl-sidecar__subcmd__help__subcmd__version_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar help version commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__man_commands] )) ||
_kubectl-sidecar__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar man commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__rbac_commands] )) ||
_kubectl-sidecar__subcmd__rbac_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar rbac commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__snapshot_commands] )) ||
_kubectl-sidecar__subcmd__snapshot_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar snapshot commands' commands "$@"
}
(( $+functions[_kubectl-sidecar__subcmd__version_commands] )) ||
_kubectl-sidecar__subcmd__version_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-sidecar version commands' commands "$@"
}

if [ "$funcstack[1]" = "_kubectl-sidecar" ]; then
    _kubectl-sidecar "$@"
else
    compdef _kubectl-sidecar kubectl-sidecar
fi
