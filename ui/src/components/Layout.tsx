import { Box, Flex, Heading, IconButton, Link, Text } from "@chakra-ui/react";
import { useTheme } from "next-themes";
import { Outlet, NavLink } from "react-router";

import { useFramed } from "../frame/FramedContext";
import { airflowHomeUrl } from "../utils/links";

const ColorModeButton = () => {
  const { resolvedTheme, setTheme } = useTheme();
  const next = resolvedTheme === "dark" ? "light" : "dark";
  return (
    <IconButton aria-label={`Switch to ${next} mode`} onClick={() => setTheme(next)} size="sm" variant="ghost">
      <span aria-hidden="true">{resolvedTheme === "dark" ? "☀" : "☾"}</span>
    </IconButton>
  );
};

/**
 * Inside Airflow's page, the page alone (Airflow's rail is the navigation, its content area the
 * <main>); on a page of its own, a header with navigation back to Airflow, then the page in <main>.
 */
export const Layout = () => {
  if (useFramed()) {
    return (
      <Box maxWidth="1400px" pb={4} pt={1} width="100%">
        <Outlet />
      </Box>
    );
  }
  return <OwnPage />;
};

const OwnPage = () => (
  <Flex bg="bg" color="fg" direction="column" minHeight="100vh">
    <Box as="header" bg="brand.muted" borderBottomWidth="1px" px={{ base: 3, md: 6 }} py={2}>
      <Flex align="center" as="nav" aria-label="Main" gap={4} wrap="wrap">
        <Link color="fg" fontWeight="bold" href={airflowHomeUrl()}>
          Airflow
        </Link>
        <Text aria-hidden="true" color="fg.muted">
          /
        </Text>
        <Link asChild color="fg" fontWeight="semibold">
          <NavLink end to="/">
            Required Actions
          </NavLink>
        </Link>
        <Box flex="1" />
        <ColorModeButton />
      </Flex>
    </Box>
    <Box as="main" flex="1" maxWidth="1400px" mx="auto" px={{ base: 3, md: 6 }} py={4} width="100%">
      <Outlet />
    </Box>
  </Flex>
);

export const PageTitle = ({ children }: { children: string }) => (
  <Heading as="h1" mb={4} size="xl">
    {children}
  </Heading>
);
