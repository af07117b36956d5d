module clusterops.io/tools/capi

go 1.26.0
