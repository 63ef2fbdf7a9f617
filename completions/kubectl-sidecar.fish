# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_sidecar_global_optspecs
    string join \n kubeconfig= context= all-contexts max-clusters= cluster= user= n/namespace= as= as-group= request-timeout= timeout= o/output= color= h/help V/version
end

function __fish_kubectl_sidecar_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_sidecar_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_sidecar_using_subcommand
    set -l cmd (__fish_kubectl_sidecar_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -l context -d 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster\'s report)' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -l max-clusters -d 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster\'s --timeout starts when its turn does)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -l cluster -d 'The name of the kubeconfig cluster to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -l user -d 'The name of the kubeconfig user to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -s n -l namespace -d 'The namespace scope for this request' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -l as -d 'Username to impersonate for the operation' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -l as-group -d 'Group to impersonate for the operation; repeat for several groups' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -l request-timeout -d 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -l timeout -d 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -s o -l output -d 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
sarif\t''
junit\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -l color -d 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -l all-contexts -d 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -f -a "check-nodes" -d 'Check the apiserver and every kubelet: version, SidecarContainers gate, skew, verdict per node and pool'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -f -a "diff-pod" -d 'Compare a submitted pod spec with what admission made of it, and name who stripped restartPolicy'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -f -a "doctor" -d 'Run every check and print one report with a verdict and the next steps'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -f -a "snapshot" -d 'Save what check-nodes, doctor and diff-pod analyse to one file, for --snapshot elsewhere'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -f -a "rbac" -d 'Print the least-privilege RBAC (ClusterRole and binding) for the people who run this tool'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -f -a "completion" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -f -a "version" -d 'Print the version, the git commit and the Kubernetes versions this build knows'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -f -a "man" -d 'Print the manual page (roff), generated from these flags'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -s l -l selector -d 'Only nodes matching this label selector (e.g. `pool=blue,!spot`)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l concurrency -d 'How many kubelets to query at once' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l node-timeout -d 'Give up on one kubelet\'s metrics after this long (e.g. 5s)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l deadline -d 'Stop waiting for kubelets after this long overall; unanswered nodes become `unknown`' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l snapshot -d 'Analyse a saved snapshot instead of a live cluster' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l save-snapshot -d 'Save the collected facts to FILE (JSON) for offline analysis with --snapshot' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l fail-on -d 'Exit 1 when a finding at or above this severity exists (`never`: findings never do; an incomplete run still exits 4)' -r -f -a "error\t''
warning\t''
info\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -s n -l namespace -d 'The namespace scope for this request' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l context -d 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster\'s report)' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l max-clusters -d 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster\'s --timeout starts when its turn does)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l cluster -d 'The name of the kubeconfig cluster to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l user -d 'The name of the kubeconfig user to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l as -d 'Username to impersonate for the operation' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l as-group -d 'Group to impersonate for the operation; repeat for several groups' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l request-timeout -d 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l timeout -d 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -s o -l output -d 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
sarif\t''
junit\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l color -d 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -l all-contexts -d 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand check-nodes" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -s f -l filename -d 'Manifest file, directory, or `-` for stdin, whose pod templates are dry-run created' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l snapshot -d 'Analyse the dry runs saved in a snapshot (`snapshot -f`, `diff-pod --save-snapshot`) instead of a cluster; with POD, only that object' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l save-snapshot -d 'Save the collected facts (redacted) to FILE (JSON) for offline analysis with --snapshot' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l fail-on -d 'Exit 1 when a finding at or above this severity exists (`never`: findings never do; an incomplete run still exits 4)' -r -f -a "error\t''
warning\t''
info\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l max-clusters -d 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster\'s --timeout starts when its turn does)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l context -d 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster\'s report)' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l cluster -d 'The name of the kubeconfig cluster to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l user -d 'The name of the kubeconfig user to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -s n -l namespace -d 'The namespace scope for this request' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l as -d 'Username to impersonate for the operation' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l as-group -d 'Group to impersonate for the operation; repeat for several groups' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l request-timeout -d 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l timeout -d 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -s o -l output -d 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
sarif\t''
junit\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l color -d 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -s R -l recursive -d 'Read the directories given with -f and all their subdirectories'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l show-defaults -d 'Also show the fields the apiserver filled in by defaulting'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l blame -d 'Call each matching webhook yourself (dry run) to name the one that strips restartPolicy'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -l all-contexts -d 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand diff-pod" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -s l -l selector -d 'Only workloads matching this label selector' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l fail-on -d 'Exit 1 when a finding at or above this severity exists (`never`: findings never do; an incomplete run still exits 4)' -r -f -a "error\t''
warning\t''
info\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l snapshot -d 'Analyse a saved snapshot instead of a live cluster' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l save-snapshot -d 'Save the collected facts to FILE (JSON) for offline analysis with --snapshot' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -s f -l filename -d 'With --offline: a manifest file, a directory of them, or `-` for stdin; repeatable' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l target-version -d 'With --offline: apply this Kubernetes minor\'s rules (e.g. 1.34; default: the newest this build knows, see `kubectl sidecar version`)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l context -d 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster\'s report)' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l max-clusters -d 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster\'s --timeout starts when its turn does)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l cluster -d 'The name of the kubeconfig cluster to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l user -d 'The name of the kubeconfig user to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -s n -l namespace -d 'The namespace scope for this request' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l as -d 'Username to impersonate for the operation' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l as-group -d 'Group to impersonate for the operation; repeat for several groups' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l request-timeout -d 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l timeout -d 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -s o -l output -d 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
sarif\t''
junit\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l color -d 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -s A -l all-namespaces -d 'Look at workloads in every namespace'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l offline -d 'Check manifests (-f) instead of a cluster: every check a pod template decides, no kubeconfig, no connection'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -s R -l recursive -d 'With --offline: read the directories given with -f and all their subdirectories'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -l all-contexts -d 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -s l -l selector -d 'Only workloads matching this label selector' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -s f -l filename -d 'Also dry-run the pod templates of these manifests (file, directory, or `-` for stdin; repeatable), as diff-pod -f does, and save what admission made of them' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -l max-clusters -d 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster\'s --timeout starts when its turn does)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -l color -d 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -s o -l output -d 'The file to write the snapshot to (JSON); `-` for stdout' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -l context -d 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster\'s report)' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -l cluster -d 'The name of the kubeconfig cluster to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -l user -d 'The name of the kubeconfig user to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -s n -l namespace -d 'The namespace scope for this request' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -l as -d 'Username to impersonate for the operation' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -l as-group -d 'Group to impersonate for the operation; repeat for several groups' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -l request-timeout -d 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -l timeout -d 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -s A -l all-namespaces -d 'Collect workloads in every namespace'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -s R -l recursive -d 'Read the directories given with -f and all their subdirectories'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -l all-contexts -d 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand snapshot" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l subject -d 'Who to bind it to: `User:NAME`, `Group:NAME` or `ServiceAccount:NAMESPACE:NAME`; repeat for several' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l omit -d 'Leave out a rule you will not grant (its id is in the comment above it); the run then reports what it could not read. Repeat for several' -r -f -a "version\t''
metrics\t''
nodes\t''
nodes-proxy\t''
namespaces\t''
pods-read\t''
pods-dry-run\t''
events\t''
workloads\t''
replicasets\t''
jobs\t''
replicationcontrollers\t''
leases\t''
webhooks\t''
services-proxy\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l name -d 'Name of the ClusterRole, Roles and bindings' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l context -d 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster\'s report)' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l max-clusters -d 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster\'s --timeout starts when its turn does)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l cluster -d 'The name of the kubeconfig cluster to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l user -d 'The name of the kubeconfig user to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l as -d 'Username to impersonate for the operation' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l as-group -d 'Group to impersonate for the operation; repeat for several groups' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l request-timeout -d 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l timeout -d 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -s o -l output -d 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
sarif\t''
junit\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l color -d 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -s n -l namespace -d 'The namespace scope for this request' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l namespace-scoped -d 'Grant the namespaced reads only in the namespace of -n (plus kube-system for the control plane), instead of in every namespace. Enough for `doctor -n` and `check-nodes`'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l istio -d 'With --namespace-scoped: also let doctor find istiod in istio-system (a Role there, so that namespace must exist)'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -l all-contexts -d 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand rbac" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -l context -d 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster\'s report)' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -l max-clusters -d 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster\'s --timeout starts when its turn does)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -l cluster -d 'The name of the kubeconfig cluster to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -l user -d 'The name of the kubeconfig user to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -s n -l namespace -d 'The namespace scope for this request' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -l as -d 'Username to impersonate for the operation' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -l as-group -d 'Group to impersonate for the operation; repeat for several groups' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -l request-timeout -d 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -l timeout -d 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -s o -l output -d 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
sarif\t''
junit\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -l color -d 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -l all-contexts -d 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -l context -d 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster\'s report)' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -l max-clusters -d 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster\'s --timeout starts when its turn does)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -l cluster -d 'The name of the kubeconfig cluster to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -l user -d 'The name of the kubeconfig user to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -s n -l namespace -d 'The namespace scope for this request' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -l as -d 'Username to impersonate for the operation' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -l as-group -d 'Group to impersonate for the operation; repeat for several groups' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -l request-timeout -d 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -l timeout -d 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -l color -d 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -s o -l output -d 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
sarif\t''
junit\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -l all-contexts -d 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand version" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -l context -d 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster\'s report)' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -l max-clusters -d 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster\'s --timeout starts when its turn does)' -r
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -l cluster -d 'The name of the kubeconfig cluster to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -l user -d 'The name of the kubeconfig user to use' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -s n -l namespace -d 'The namespace scope for this request' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -l as -d 'Username to impersonate for the operation' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -l as-group -d 'Group to impersonate for the operation; repeat for several groups' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -l request-timeout -d 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -l timeout -d 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4' -r -f
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -s o -l output -d 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
sarif\t''
junit\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -l color -d 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -l all-contexts -d 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand man" -s h -l help -d 'Print help'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand help; and not __fish_seen_subcommand_from check-nodes diff-pod doctor snapshot rbac completion version man help" -f -a "check-nodes" -d 'Check the apiserver and every kubelet: version, SidecarContainers gate, skew, verdict per node and pool'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand help; and not __fish_seen_subcommand_from check-nodes diff-pod doctor snapshot rbac completion version man help" -f -a "diff-pod" -d 'Compare a submitted pod spec with what admission made of it, and name who stripped restartPolicy'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand help; and not __fish_seen_subcommand_from check-nodes diff-pod doctor snapshot rbac completion version man help" -f -a "doctor" -d 'Run every check and print one report with a verdict and the next steps'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand help; and not __fish_seen_subcommand_from check-nodes diff-pod doctor snapshot rbac completion version man help" -f -a "snapshot" -d 'Save what check-nodes, doctor and diff-pod analyse to one file, for --snapshot elsewhere'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand help; and not __fish_seen_subcommand_from check-nodes diff-pod doctor snapshot rbac completion version man help" -f -a "rbac" -d 'Print the least-privilege RBAC (ClusterRole and binding) for the people who run this tool'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand help; and not __fish_seen_subcommand_from check-nodes diff-pod doctor snapshot rbac completion version man help" -f -a "completion" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand help; and not __fish_seen_subcommand_from check-nodes diff-pod doctor snapshot rbac completion version man help" -f -a "version" -d 'Print the version, the git commit and the Kubernetes versions this build knows'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand help; and not __fish_seen_subcommand_from check-nodes diff-pod doctor snapshot rbac completion version man help" -f -a "man" -d 'Print the manual page (roff), generated from these flags'
complete -c kubectl-sidecar -n "__fish_kubectl_sidecar_using_subcommand help; and not __fish_seen_subcommand_from check-nodes diff-pod doctor snapshot rbac completion version man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
