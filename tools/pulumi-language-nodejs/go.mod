module clusterops.io/tools/pulumi-language-nodejs

go 1.26.0
