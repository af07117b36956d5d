module clusterops.io/tools/pulumi-kubernetes

go 1.26.0
