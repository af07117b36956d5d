module clusterops.io/tools/kube

go 1.26.0

require k8s.io/kubernetes v1.36.3
