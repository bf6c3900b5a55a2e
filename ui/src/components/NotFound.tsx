import { Link, Text } from "@chakra-ui/react";
import { Link as RouterLink } from "react-router";

import { PageTitle } from "./Layout";

export const NotFound = () => (
  <>
    <PageTitle>Page not found</PageTitle>
    <Text>
      There is nothing at this address.{" "}
      <Link asChild color="brand.fg" textDecoration="underline">
        <RouterLink to="/">Go to the Required Actions inbox</RouterLink>
      </Link>
    </Text>
  </>
);
