module clusterops.io/tools/pulumi

go 1.26.0
